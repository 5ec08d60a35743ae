using System.Runtime.CompilerServices;

namespace Dsl.Text.Modeling;

/// <summary>
/// Applies <see cref="Dsl.Threading.LibTorchStartup"/> when Dsl.Text is first used: a program's
/// first tensor often comes from a BERT built here, and the OpenMP and MKL settings must be in place
/// before that loads libtorch.
/// </summary>
internal static class LibTorchStartupInitializer
{
#pragma warning disable CA2255 // A library's module initializer, on purpose: it must run before libtorch loads.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        // Never throw from a module initializer (see LibTorchStartup).
        try
        {
            Dsl.Threading.LibTorchStartup.Apply();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or System.Runtime.InteropServices.MarshalDirectiveException)
        {
        }
    }
}
