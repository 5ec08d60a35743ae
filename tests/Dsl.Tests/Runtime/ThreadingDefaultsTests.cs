using Dsl.Threading;
using Dsl.Tests.Support;

namespace Dsl.Tests.Runtime;

/// <summary>OpenMP's wait policy, set in the native environment before libtorch loads.</summary>
[Collection(TorchState.Name)]
public sealed class ThreadingDefaultsTests
{
    [Fact]
    public void Passive_waiting_is_in_the_native_environment_once_Dsl_is_loaded()
    {
        // The test host sets nothing, so the module initializer's value is what native code reads.
        Assert.Equal("PASSIVE", ThreadingDefaults.NativeGet(ThreadingDefaults.WaitPolicy));
        Assert.Equal("PASSIVE", Environment.GetEnvironmentVariable(ThreadingDefaults.WaitPolicy));
    }

    [Fact]
    public void A_wait_policy_the_user_set_is_kept()
    {
        var environment = new Dictionary<string, string> { ["OMP_WAIT_POLICY"] = "ACTIVE" };
        ThreadingDefaults.Apply(n => environment.GetValueOrDefault(n), (n, v) => environment[n] = v);
        Assert.Equal("ACTIVE", environment["OMP_WAIT_POLICY"]);
    }

    [Fact]
    public void Passive_is_set_when_the_user_set_nothing_unless_opted_out()
    {
        var environment = new Dictionary<string, string>();
        ThreadingDefaults.Apply(n => environment.GetValueOrDefault(n), (n, v) => environment[n] = v);
        Assert.Equal("PASSIVE", environment["OMP_WAIT_POLICY"]);

        var optedOut = new Dictionary<string, string> { ["DSL_THREADING_DEFAULTS"] = "0" };
        ThreadingDefaults.Apply(n => optedOut.GetValueOrDefault(n), (n, v) => optedOut[n] = v);
        Assert.False(optedOut.ContainsKey("OMP_WAIT_POLICY"));
    }
}
