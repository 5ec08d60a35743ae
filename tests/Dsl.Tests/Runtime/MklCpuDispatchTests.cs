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
    public void On_AMD_processors_the_override_is_loaded_with_Dsl_unless_opted_out()
    {
        LibTorchStartup.Apply();
        bool optedOut = ThreadingDefaults.NativeGet(MklCpuDispatch.OptOut) == "0";
        Assert.Equal(MklCpuDispatch.Applies && !optedOut, MklCpuDispatch.Loaded);
    }
}
