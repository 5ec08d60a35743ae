using System.Runtime.InteropServices;
using Dsl.Threading;
using Dsl.Tests.Support;

namespace Dsl.Tests.Runtime;

/// <summary>The generated shared object that tells libtorch's MKL to use its fast kernels on AMD processors.</summary>
[Collection(TorchState.Name)]
public sealed class MklCpuDispatchTests
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int IntelCpuTrue();

    [Fact]
    public void The_generated_library_loads_and_its_function_returns_1()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;   // x64 Linux only
        string path = Path.Combine(Path.GetTempPath(), $"dsl-mkl-test-{Guid.NewGuid():N}.so");
        File.WriteAllBytes(path, MklCpuDispatch.SharedObject());
        try
        {
            nint library = NativeLibrary.Load(path);
            nint function = NativeLibrary.GetExport(library, MklCpuDispatch.Symbol);
            Assert.Equal(1, Marshal.GetDelegateForFunctionPointer<IntelCpuTrue>(function)());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void On_AMD_processors_the_override_is_loaded_at_start_up_unless_opted_out()
    {
        LibTorchStartup.Apply();
        bool optedOut = ThreadingDefaults.NativeGet(MklCpuDispatch.OptOut) == "0";
        Assert.Equal(MklCpuDispatch.Applies && !optedOut && StartupGate.IsValidated(StartupGate.Installed()), MklCpuDispatch.Loaded);
    }

    [Fact]
    public void Once_libtorch_is_loaded_its_MKL_calls_the_override_on_AMD_processors()
    {
        using var loaded = TorchSharp.torch.ones(2, 2).matmul(TorchSharp.torch.ones(2, 2));   // libtorch and its MKL are in use
        var check = MklCpuDispatch.CheckEffect();
        if (!MklCpuDispatch.Loaded)
        {
            Assert.Equal(MklDispatchOutcome.NotApplied, check.Outcome);   // not an AMD x64 Linux, or opted out
            return;
        }
        Assert.True(check.Outcome == MklDispatchOutcome.Took,
            $"libtorch's {MklCpuDispatch.Symbol} is bound to 0x{check.BoundTo:x}, the override is at 0x{check.Override:x} ({check.Outcome}).");
        Assert.Null(check.Warning);
    }

    [Fact]
    public void The_binding_reader_finds_where_libtorch_calls_a_C_library_function()
    {
        // The mechanism CheckEffect relies on, on a binding every libtorch has: malloc, bound to the C library's.
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        using var loaded = TorchSharp.torch.ones(1);
        nint torch = NativeLibrary.Load("libtorch_cpu.so", typeof(TorchSharp.torch).Assembly, null);
        Assert.Equal(NativeLibrary.GetExport(NativeLibrary.Load("libc.so.6"), "malloc"), PltBinding.Target(torch, "malloc"));
        Assert.Null(PltBinding.Target(torch, "dsl_no_such_function"));
    }

    [Fact]
    public void When_MKL_is_bound_elsewhere_the_warning_says_so_and_how_to_turn_it_off()
    {
        var check = new MklDispatchCheck(MklDispatchOutcome.BoundElsewhere, 0x1000, 0x2000);
        Assert.Contains("did not take effect", check.Warning);
        Assert.Contains("0x1000", check.Warning);
        Assert.Contains("0x2000", check.Warning);
        Assert.Contains("DSL_MKL_CPU_DISPATCH=0", check.Warning);
        Assert.NotNull(new MklDispatchCheck(MklDispatchOutcome.NotImported, 0, 0x2000).Warning);
        Assert.Null(new MklDispatchCheck(MklDispatchOutcome.Took, 0x2000, 0x2000).Warning);
        Assert.Null(new MklDispatchCheck(MklDispatchOutcome.LibTorchNotLoaded, 0, 0).Warning);
    }
}
