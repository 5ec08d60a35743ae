using Dsl.Build;
using Dsl.Tests.Support;

namespace Dsl.Tests.Build;

/// <summary>The build's repair of libLibTorchSharp.so (eng/NativeRepair), on the real library.</summary>
public sealed class NativeRepairTests
{
    private const string Version = "GLIBCXX_3.4.32";

    private static string OutputCopy => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static string PackageCopy
    {
        get
        {
            string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            return Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        }
    }

    private static bool SystemHasVersion =>
        SystemLibStdCxx.Locate() is { } lib && ElfVersionNeeds.Defines(lib, Version);

    [Fact]
    public void The_output_copy_is_weak_exactly_where_the_system_lacks_the_version()
    {
        if (!OperatingSystem.IsLinux()) return;
        ushort? flags = ElfVersionNeeds.FlagsOf(File.ReadAllBytes(OutputCopy), Version);
        Assert.NotNull(flags);
        Assert.Equal(!SystemHasVersion, (flags!.Value & 2) != 0);
    }

    [Fact]
    public void The_NuGet_cache_copy_is_never_touched()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(PackageCopy)) return;
        ushort? flags = ElfVersionNeeds.FlagsOf(File.ReadAllBytes(PackageCopy), Version);
        Assert.Equal((ushort)0, flags);
    }

    [Fact]
    public void Marking_weak_changes_one_flag_and_is_idempotent()
    {
        if (!File.Exists(PackageCopy)) return;
        byte[] original = File.ReadAllBytes(PackageCopy);
        byte[] bytes = (byte[])original.Clone();

        Assert.Equal(ElfVersionNeeds.Result.Patched, ElfVersionNeeds.MarkWeak(bytes, Version, "copy"));
        Assert.Equal((ushort)2, ElfVersionNeeds.FlagsOf(bytes, Version));
        Assert.Equal(1, bytes.Zip(original).Count(p => p.First != p.Second));
        Assert.Equal(ElfVersionNeeds.Result.AlreadyWeak, ElfVersionNeeds.MarkWeak(bytes, Version, "copy"));
        Assert.Equal(ElfVersionNeeds.Result.NotRequired, ElfVersionNeeds.MarkWeak(bytes, "GLIBCXX_9.9.99", "copy"));
        Assert.Equal((ushort)0, ElfVersionNeeds.FlagsOf(bytes, "GLIBCXX_3.4.30"));   // other requirements stay strong
    }

    [Fact]
    public void A_file_that_is_not_ELF_is_rejected_with_its_path()
    {
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.MarkWeak(new byte[100], Version, "/x/lib.so"));
        Assert.Equal("/x/lib.so: not an ELF file.", e.Message);
        byte[] elf32 = new byte[100];
        elf32[0] = 0x7f; elf32[1] = (byte)'E'; elf32[2] = (byte)'L'; elf32[3] = (byte)'F'; elf32[4] = 1; elf32[5] = 1;
        Assert.Contains("only 64-bit little-endian", Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.MarkWeak(elf32, Version, "a")).Message);
    }

    [Fact]
    public void Torch_loads_and_computes()
    {
        using var x = TorchSharp.torch.ones(2, 2);
        Assert.Equal(4f, x.sum().item<float>());
    }
}
