using Dsl.__Internals;
using Dsl.Training;

namespace Dsl.Tests.Training;

/// <summary>TrainingArguments.NonFiniteLoss decided from values alone.</summary>
public sealed class NonFiniteLossPolicyTests
{
    private static AccumulationWindow Window()
    {
        var window = new AccumulationWindow(epoch: 0);
        window.MoveToListBatch(step: 3, index: 0, batchesInEpoch: 4, gradientAccumulationSteps: 1);
        return window;
    }

    [Theory]
    [InlineData(NonFiniteLossPolicy.CarryOn, null)]
    [InlineData(NonFiniteLossPolicy.SkipStep, "the loss is NaN")]
    [InlineData(NonFiniteLossPolicy.Stop, "the loss is NaN")]
    public void A_NaN_loss_skips_the_step_unless_the_policy_carries_on(NonFiniteLossPolicy policy, string? expected)
    {
        var warnings = new List<string>();
        var nonFinite = new NonFiniteLoss(policy, worldSize: 1, warnings.Add);
        var window = Window();
        nonFinite.ObserveLoss(double.NaN, 3, window);
        Assert.Equal(expected, nonFinite.Decide(window, gradNorm: 1.0, step: 3));
        Assert.Single(warnings);
        Assert.StartsWith("step 3: the loss is NaN (the first non-finite value of this run).", warnings[0]);
    }

    [Fact]
    public void Across_ranks_a_loss_only_warns_and_the_averaged_gradient_norm_decides()
    {
        var warnings = new List<string>();
        var nonFinite = new NonFiniteLoss(NonFiniteLossPolicy.SkipStep, worldSize: 2, warnings.Add);
        var window = Window();
        nonFinite.ObserveLoss(double.PositiveInfinity, 3, window);
        Assert.Null(nonFinite.Decide(window, gradNorm: 2.0, step: 3));
        Assert.Contains("The optimizer applies it", warnings[0]);
        Assert.Equal("the gradient norm is inf", nonFinite.Decide(window, gradNorm: double.PositiveInfinity, step: 3));
    }

    [Fact]
    public void One_warning_per_run()
    {
        var warnings = new List<string>();
        var nonFinite = new NonFiniteLoss(NonFiniteLossPolicy.SkipStep, worldSize: 1, warnings.Add);
        nonFinite.ObserveLoss(double.NaN, 3, Window());
        nonFinite.ObserveLoss(double.NaN, 4, Window());
        nonFinite.ObserveLoggedGradNorm(double.NaN, 5);
        Assert.Single(warnings);
    }

    [Fact]
    public void The_stop_message_names_the_step_and_the_last_good_checkpoint()
    {
        var e = NonFiniteLoss.StopException(7, "the loss is NaN", "out/checkpoint-5");
        Assert.Equal((7, "out/checkpoint-5"), (e.Step, e.LastCheckpoint));
        Assert.StartsWith("Training stopped at step 7: the loss is NaN.", e.Message);
        Assert.Contains("the last good checkpoint is out/checkpoint-5", e.Message);
    }
}
