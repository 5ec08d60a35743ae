using System.Globalization;
using System.Runtime.InteropServices;

namespace Dsl.Threading;

/// <summary>What <see cref="MklCpuDispatch.CheckEffect"/> found.</summary>
internal enum MklDispatchOutcome
{
    /// <summary>The override was not loaded (not an AMD processor, switched off, or outside the validated versions).</summary>
    NotApplied,
    /// <summary>libtorch is not loaded yet: nothing to check.</summary>
    LibTorchNotLoaded,
    /// <summary>libtorch's MKL calls the override: its fast kernels are in use.</summary>
    Took,
    /// <summary>libtorch's MKL calls another definition (libtorch loaded before the override, or another library's).</summary>
    BoundElsewhere,
    /// <summary>This libtorch calls the function directly, not through its PLT: no override can reach it.</summary>
    NotImported,
}

/// <summary>The outcome of the check, with the addresses it compared.</summary>
/// <param name="Outcome">What was found.</param>
/// <param name="BoundTo">The function libtorch's call is bound to, or 0.</param>
/// <param name="Override">The override's function, or 0.</param>
internal readonly record struct MklDispatchCheck(MklDispatchOutcome Outcome, nint BoundTo, nint Override)
{
    /// <summary>The line to write when MKL did not take the override; null when it did or there was nothing to check.</summary>
    public string? Warning => Outcome switch
    {
        MklDispatchOutcome.BoundElsewhere =>
            $"MKL's fast kernels for AMD processors did not take effect: libtorch's calls to {MklCpuDispatch.Symbol} are bound to " +
            $"0x{BoundTo.ToString("x", CultureInfo.InvariantCulture)}, not to Dsl's override at 0x{Override.ToString("x", CultureInfo.InvariantCulture)} " +
            "(was libtorch loaded before Dsl's start-up ran, or does another library define the function?), so matrix products use MKL's " +
            $"generic path. {MklCpuDispatch.OptOut}=0 turns the override and this check off.",
        MklDispatchOutcome.NotImported =>
            $"MKL's fast kernels for AMD processors did not take effect: this libtorch calls {MklCpuDispatch.Symbol} directly, so no " +
            $"override reaches it and matrix products use MKL's generic path. {MklCpuDispatch.OptOut}=0 turns the override and this check off.",
        _ => null,
    };
}

public static partial class MklCpuDispatch
{
    /// <summary>
    /// Once libtorch is loaded: whether its MKL calls the override. Makes MKL detect the processor first (as its
    /// first matrix product would; the answer is cached), then reads which function libtorch's call is bound to.
    /// </summary>
    internal static MklDispatchCheck CheckEffect()
    {
        if (!Loaded) return new(MklDispatchOutcome.NotApplied, 0, 0);
        const int RtldLazy = 1, RtldNoload = 4;
        nint torch = dlopen("libtorch_cpu.so", RtldLazy | RtldNoload);   // only if it is loaded already
        if (torch == 0) return new(MklDispatchOutcome.LibTorchNotLoaded, 0, 0);
        try
        {
            nint ours = dlsym(_handle, Symbol);
            if (dlsym(torch, "mkl_serv_cpu_detect") is var detect and not 0)
                _ = Marshal.GetDelegateForFunctionPointer<CpuDetect>(detect)();
            return PltBinding.Target(torch, Symbol) is not { } bound
                ? new(MklDispatchOutcome.NotImported, 0, ours)
                : new(bound == ours ? MklDispatchOutcome.Took : MklDispatchOutcome.BoundElsewhere, bound, ours);
        }
        finally
        {
            _ = dlclose(torch);   // the no-load open only counted a reference
        }
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int CpuDetect();

#pragma warning disable SYSLIB1054 // DllImport keeps this file free of unsafe code
    [DllImport("libc")]
    private static extern nint dlsym(nint handle, [MarshalAs(UnmanagedType.LPUTF8Str)] string symbol);

    [DllImport("libc")]
    private static extern int dlclose(nint handle);
#pragma warning restore SYSLIB1054
}
