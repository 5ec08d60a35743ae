using Dsl.Training;

namespace Dsl.Tests.Training;

/// <summary>HF's logged loss on the host path: the mean per optimizer step since the last log.</summary>
public sealed class LossMeterTests
{
    [Fact]
    public void The_logged_loss_is_the_mean_per_step_since_the_last_log_and_the_total_keeps_every_loss()
    {
        using var meter = new LossMeter(filterNonFinite: true);
        meter.Add(0.5f, globalStep: 0);
        meter.Add(0.25f, globalStep: 1);
        meter.Add(0.75f, globalStep: 2);
        Assert.Equal(0.5, meter.TakeLogMean(step: 3));
        Assert.Null(meter.TakeLogMean(step: 3));   // nothing trained since
        meter.Add(1.0f, globalStep: 3);
        Assert.Equal(1.5 + 1.0, meter.TakeTotal());
    }

    [Fact]
    public void A_NaN_loss_counts_as_the_mean_since_the_last_log_with_HFs_filter()
    {
        using var meter = new LossMeter(filterNonFinite: true);
        meter.Add(0.5f, globalStep: 0);
        meter.Add(float.NaN, globalStep: 1);   // HF: tr_loss / (1 + global_step - last logged) = 0.5 / 2
        Assert.Equal((0.5 + 0.25) / 2, meter.TakeLogMean(step: 2));
        using var unfiltered = new LossMeter(filterNonFinite: false);
        unfiltered.Add(float.NaN, globalStep: 0);
        Assert.True(double.IsNaN(unfiltered.TakeLogMean(step: 1)!.Value));
    }

    [Fact]
    public void A_resumed_run_logs_only_the_steps_it_trained()
    {
        using var meter = new LossMeter(filterNonFinite: true);
        meter.ResumeAt(10);
        meter.Add(0.3f, globalStep: 10);
        meter.Add(0.1f, globalStep: 11);
        Assert.Null(meter.TakeLogMean(step: 10));
        Assert.Equal(0.2, meter.TakeLogMean(step: 12)!.Value, 6);
    }

    [Fact]
    public void Across_ranks_the_sum_is_averaged_before_it_is_divided()
    {
        using var meter = new LossMeter(filterNonFinite: true, averageOverRanks: sum => (sum + 3.0) / 2);
        meter.Add(1.0f, globalStep: 0);
        Assert.Equal(2.0, meter.TakeLogMean(step: 1));
    }
}
