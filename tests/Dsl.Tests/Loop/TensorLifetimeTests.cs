using Dsl.Tests.Support;
using TorchSharp;

namespace Dsl.Tests.Loop;

/// <summary>
/// No tensor outlives its step: the live-tensor count stays flat over hundreds of steps and batches. Each test counts
/// only its own tensors (<see cref="OwnTensors"/>), so tensors other tests left to the finalizer cannot move the count.
/// </summary>
[Collection(TorchState.Name)]
public sealed class TensorLifetimeTests
{

    [Fact]
    public void Live_tensors_do_not_grow_between_step_10_and_step_200()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            MaxSteps = 200, PerDeviceTrainBatchSize = 4, LoggingSteps = 25, GradientAccumulationSteps = 2,
            DataloaderPrefetchFactor = 0,   // no batches waiting in the prefetch buffer: exact counts
        };
        var trainer = new HookTrainer(TinyNet.Create(), args);
        using var own = OwnTensors.Start();
        trainer.Train(SampleData.Make(64));
        Assert.Equal(200, trainer.LiveTensorsAtStepEnd.Count);
        Assert.Equal(trainer.LiveTensorsAtStepEnd[9], trainer.LiveTensorsAtStepEnd[199]);
        Assert.Equal(trainer.LiveTensorsAtStepEnd[9], trainer.LiveTensorsAtStepEnd.Skip(9).Max());
    }

    [Fact]
    public void With_prefetch_live_tensors_stay_within_the_prefetched_batches()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { MaxSteps = 200, PerDeviceTrainBatchSize = 4, DataloaderPrefetchFactor = 2 };
        var trainer = new HookTrainer(TinyNet.Create(), args);
        using var own = OwnTensors.Start();
        trainer.Train(SampleData.Make(64));
        var counts = trainer.LiveTensorsAtStepEnd.Skip(9).ToList();
        Assert.True(counts.Max() - counts.Min() <= 3 * 2, string.Join(",", counts));   // 2 batches buffered + 1 being collated, of 2 tensors each
        Assert.True(own.Live == 0, $"{own.Live} tensors left once Train returned ({own.ByThread()})");
    }

    [Fact]
    public void Live_tensors_do_not_grow_over_50_evaluation_batches()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { PerDeviceEvalBatchSize = 2, DataloaderPrefetchFactor = 0, PredictionLossOnly = true };
        var trainer = new MetricTrainer(TinyNet.Create(), args);
        using var own = OwnTensors.Start();
        trainer.Evaluate(SampleData.Make(100));
        Assert.Equal(50, trainer.LiveTensorsPerEvalBatch.Count);
        Assert.Equal(trainer.LiveTensorsPerEvalBatch[1], trainer.LiveTensorsPerEvalBatch[49]);
        Assert.True(own.Live == 0, $"{own.Live} tensors left once Evaluate returned ({own.ByThread()})");
    }

    [Fact]
    public void Metrics_keep_exactly_the_logits_and_labels_and_free_them_after()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { PerDeviceEvalBatchSize = 2, DataloaderPrefetchFactor = 0 };
        var trainer = new MetricTrainer(TinyNet.Create(), args);
        using var own = OwnTensors.Start();
        trainer.Evaluate(SampleData.Make(100));
        var counts = trainer.LiveTensorsPerEvalBatch;
        Assert.Equal(2 * 48, counts[49] - counts[1]);   // one logits and one labels tensor kept per batch, on purpose
        Assert.True(own.Live == 0, $"{own.Live} tensors left once Evaluate returned ({own.ByThread()})");
    }

    [Fact]
    public void Own_tensors_count_a_collating_thread_and_ignore_what_the_finalizer_frees_of_other_tests()
    {
        static void LeaveToTheFinalizer() { for (int i = 0; i < 5; i++) _ = torch.ones(2); }
        LeaveToTheFinalizer();   // "another test's" garbage, made before the count starts
        using var own = OwnTensors.Start();
        torch.Tensor? collated = null;
        var collator = new Thread(() => { OwnTensors.Enlist(); collated = torch.zeros(3); }) { Name = "collator" };
        collator.Start();
        collator.Join();
        GC.Collect();
        GC.WaitForPendingFinalizers();   // frees the five on the finalizer thread
        Assert.Equal(1, own.Live);
        Assert.Contains("collator +1", own.ByThread());
        collated!.Dispose();             // freed on this thread, made on the other: the sum is what counts
        Assert.Equal(0, own.Live);
    }
}
