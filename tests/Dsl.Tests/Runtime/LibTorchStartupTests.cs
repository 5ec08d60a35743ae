using Dsl.Threading;
using Dsl.Tests.Support;

namespace Dsl.Tests.Runtime;

/// <summary>
/// One start-up path: the module initializer the generator writes into an assembly with a generated loop (this test
/// assembly has several), a library fallback that stands down when it ran, and version gates with one line when
/// they keep the settings off.
/// </summary>
[Collection(TorchState.Name)]
public sealed class LibTorchStartupTests
{
    private static readonly InstalledTorch Validated = new(new Version(0, 107, 0, 0), "2.10.0");

    [Fact]
    public void In_an_assembly_with_a_generated_loop_the_generated_initializer_runs_and_the_settings_are_applied()
    {
        // This assembly's generated initializer ran when it loaded. (Under a test host, xunit's reflection may touch
        // a Dsl enum first, so Dsl's fallback can be the one that applied; a real program's Main runs after its
        // assembly's initializer: Examples.Tests checks that in a process of its own.)
        Assert.True(AppContext.TryGetSwitch(LibTorchStartup.GeneratedSwitch, out bool ran) && ran);
        Assert.NotEqual(LibTorchStartupSource.None, LibTorchStartup.AppliedBy);
        Assert.Equal("PASSIVE", ThreadingDefaults.NativeGet(ThreadingDefaults.WaitPolicy));
    }

    [Theory]
    [InlineData(null, false, true)]    // no generated loop, nothing switched off: the fallback applies
    [InlineData(null, true, false)]    // a generated initializer is applying them: the fallback stands down
    [InlineData(true, false, true)]
    [InlineData(false, false, false)]  // <DslLibTorchStartup>false</DslLibTorchStartup>: nobody applies them
    [InlineData(false, true, false)]
    public void The_library_fallback_applies_only_where_no_generated_initializer_ran_and_start_up_is_on(bool? startupSwitch, bool generated, bool applies) =>
        Assert.Equal(applies, LibTorchStartup.FallbackApplies(startupSwitch, generated));

    [Fact]
    public void On_the_validated_versions_both_settings_apply_silently_unless_switched_off()
    {
        Assert.Equal(new StartupDecision(true, true, null), StartupGate.Decide(null, null, Validated));
        Assert.Equal(new StartupDecision(false, true, null), StartupGate.Decide("0", null, Validated));
        Assert.Equal(new StartupDecision(true, false, null), StartupGate.Decide(null, "0", Validated));
        Assert.True(StartupGate.IsValidated(Validated with { LibTorch = "2.10.1" }));
        Assert.True(StartupGate.IsValidated(Validated with { LibTorch = null }));   // no deps.json: TorchSharp's own pin
    }

    [Theory]
    [InlineData(0, 108, "2.10.0")]
    [InlineData(0, 107, "2.11.0")]
    [InlineData(0, 106, "2.9.1")]
    public void Outside_the_validated_versions_the_settings_stay_off_with_one_line_that_says_how_to_force_them(int major, int minor, string libTorch)
    {
        var installed = new InstalledTorch(new Version(major, minor, 0, 0), libTorch);
        Assert.False(StartupGate.IsValidated(installed));
        var decision = StartupGate.Decide(null, null, installed);
        Assert.False(decision.Threading);
        Assert.False(decision.Mkl);
        Assert.NotNull(decision.Log);
        Assert.Contains($"TorchSharp {major}.{minor}.0 with libtorch {libTorch}", decision.Log);
        Assert.Contains("DSL_THREADING_DEFAULTS=1", decision.Log);
        Assert.Contains("DSL_MKL_CPU_DISPATCH=1", decision.Log);

        // Forced on, or switched off: the user decided, nothing to say.
        Assert.Equal(new StartupDecision(true, true, null), StartupGate.Decide("1", "1", installed));
        Assert.Equal(new StartupDecision(false, false, null), StartupGate.Decide("0", "0", installed));
        var one = StartupGate.Decide("1", null, installed);
        Assert.True(one.Threading);
        Assert.DoesNotContain("DSL_THREADING_DEFAULTS", one.Log);
    }

    [Fact]
    public void The_installed_versions_are_read_without_loading_libtorch_and_are_the_validated_ones_here()
    {
        var installed = StartupGate.Installed();
        Assert.Equal(new Version(0, 107, 0, 0), installed.TorchSharp);
        Assert.Equal("2.10.0", installed.LibTorch);
        Assert.True(StartupGate.IsValidated(installed));
    }

    [Theory]
    [InlineData("{\"libraries\": {\"TorchSharp/0.107.0\": {}, \"libtorch-cpu-linux-x64/2.10.0\": {}}}", "2.10.0")]
    [InlineData("{\"libraries\": {\"libtorch-cuda-12.8-linux-x64/2.11.0-rc1\": {}}}", "2.11.0-rc1")]
    [InlineData("{\"libraries\": {\"TorchSharp/0.107.0\": {}}}", null)]
    public void The_libtorch_version_comes_from_the_package_the_deps_file_names(string depsJson, string? expected) =>
        Assert.Equal(expected, StartupGate.LibTorchIn(depsJson));

    [Fact]
    public void The_versions_start_up_was_validated_with_are_the_ones_the_packages_pin()
    {
        string? root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Dsl.sln"))) root = Path.GetDirectoryName(root);
        Assert.NotNull(root);
        string versions = File.ReadAllText(Path.Combine(root, "Directory.Packages.props"));
        Assert.Contains($"<PackageVersion Include=\"TorchSharp\" Version=\"[{StartupGate.ValidatedTorchSharp}.0, ", versions);
        Assert.Contains($"<PackageVersion Include=\"libtorch-cpu-linux-x64\" Version=\"[{StartupGate.ValidatedLibTorch}.0, ", versions);
    }
}
