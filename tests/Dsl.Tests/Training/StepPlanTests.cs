using Dsl.Training;

namespace Dsl.Tests.Training;

/// <summary>The step arithmetic of HF's <c>_inner_training_loop</c>, on the plan alone: no model, no data.</summary>
public sealed class StepPlanTests
{
    [Theory]
    // batches, GA, epochs -> updates per epoch, max steps, epochs run
    [InlineData(10, 1, 3.0, 10, 30, 3)]
    [InlineData(10, 4, 2.0, 3, 6, 2)]       // ceil(10 / 4) = 3 updates per epoch
    [InlineData(10, 4, 1.5, 3, 5, 2)]       // ceil(1.5 × 3) = 5 steps over ceil(1.5) = 2 epochs
    [InlineData(3, 8, 1.0, 1, 1, 1)]        // fewer batches than GA: one short window
    public void Steps_follow_HF_from_the_epochs(int batches, int ga, double epochs, int perEpoch, int maxSteps, int numEpochs)
    {
        var plan = new StepPlan(epochs, maxSteps: -1, ga, batches, streaming: false);
        Assert.Equal((perEpoch, maxSteps, numEpochs), (plan.UpdatesPerEpoch, plan.MaxSteps, plan.NumTrainEpochs));
    }

    [Fact]
    public void MaxSteps_sets_the_epochs_to_cover_it()
    {
        var plan = new StepPlan(numTrainEpochs: 1, maxSteps: 7, gradientAccumulationSteps: 2, batchesPerEpoch: 5, streaming: false);
        Assert.Equal((3, 7, 3), (plan.UpdatesPerEpoch, plan.MaxSteps, plan.NumTrainEpochs));   // ceil(7 / 3) epochs
    }

    [Fact]
    public void A_stream_takes_MaxSteps_and_counts_each_pass_as_an_epoch()
    {
        var plan = new StepPlan(numTrainEpochs: 3, maxSteps: 12, gradientAccumulationSteps: 2, batchesPerEpoch: 0, streaming: true);
        Assert.Equal((12, 12, int.MaxValue, 24), (plan.UpdatesPerEpoch, plan.MaxSteps, plan.NumTrainEpochs, plan.StreamBatchesPerEpoch));
    }

    [Fact]
    public void A_resume_starts_in_the_checkpoints_epoch_and_skips_the_windows_it_trained()
    {
        var plan = new StepPlan(numTrainEpochs: 3, maxSteps: -1, gradientAccumulationSteps: 2, batchesPerEpoch: 9, streaming: false);
        Assert.Equal(5, plan.UpdatesPerEpoch);
        Assert.True(plan.ResumeAt(globalStep: 7, epoch: 1.4, savedMaxSteps: 15));
        // HF: epochs_trained = 7 // 5 = 1; the batches seen in epoch 1 are (7 % 5) × GA = 4.
        Assert.Equal((1, 4), (plan.FirstEpoch, plan.SkippedBatches));
        Assert.Equal(4, plan.BatchesToSkip(1));
        Assert.Equal(0, plan.BatchesToSkip(2));
    }

    [Fact]
    public void A_resumed_stream_skips_by_its_epoch_fraction_not_from_the_streams_start()
    {
        var plan = new StepPlan(numTrainEpochs: 1, maxSteps: 20, gradientAccumulationSteps: 1, batchesPerEpoch: 0, streaming: true);
        // Saved at step 14 in pass 2 (the stream restarted after 6 batches): 2 batches of pass 2 were read.
        Assert.True(plan.ResumeAt(globalStep: 14, epoch: 2.1, savedMaxSteps: 20));
        Assert.Equal((2, 2), (plan.FirstEpoch, plan.SkippedBatches));
    }

    [Fact]
    public void A_run_resumed_at_its_last_step_starts_no_epoch()
    {
        var plan = new StepPlan(numTrainEpochs: 2, maxSteps: -1, gradientAccumulationSteps: 1, batchesPerEpoch: 4, streaming: false);
        Assert.False(plan.ResumeAt(globalStep: 8, epoch: 2.0, savedMaxSteps: 8));
        Assert.Equal(plan.NumTrainEpochs, plan.FirstEpoch);
    }

    [Fact]
    public void The_epoch_fraction_counts_the_batch_that_trained()
    {
        Assert.Equal(1.25, StepPlan.EpochAfter(epoch: 1, index: 0, batchesInEpoch: 4));
        Assert.Equal(2.0, StepPlan.EpochAfter(epoch: 1, index: 3, batchesInEpoch: 4));
    }

    [Fact]
    public void A_window_below_one_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepPlan(1, 0, gradientAccumulationSteps: 0, batchesPerEpoch: 4, streaming: false));
}
