using System.Runtime.CompilerServices;

namespace Dsl.Threading;

/// <summary>
/// What the runtime sets up before libtorch loads: <see cref="ThreadingDefaults"/> (OpenMP workers that
/// sleep while they wait) and <see cref="MklCpuDispatch"/> (MKL's fast kernels on AMD processors).
/// Runs by itself when Dsl or Dsl.Text is first used; a program that touches TorchSharp before
/// anything of Dsl can call <see cref="Apply"/> first.
/// </summary>
public static class LibTorchStartup
{
#pragma warning disable CA2255 // A library's module initializer, on purpose: it must run before libtorch loads.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        // A module initializer must never throw: every use of Dsl would fail. Without libc's
        // getenv/setenv (an unusual C library) the defaults are simply not applied.
        try
        {
            Apply();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or System.Runtime.InteropServices.MarshalDirectiveException)
        {
        }
    }

    /// <summary>Applies both (idempotent); effective only before libtorch is loaded.</summary>
    public static void Apply()
    {
        ThreadingDefaults.Apply();
        MklCpuDispatch.Apply();
    }
}
