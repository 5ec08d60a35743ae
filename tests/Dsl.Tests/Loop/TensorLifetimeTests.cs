using Dsl.Tests.Support;
using TorchSharp;

namespace Dsl.Tests.Loop;

/// <summary>No tensor outlives its step: the live-tensor count stays flat over hundreds of steps and batches.</summary>
[Collection(TorchState.Name)]
public sealed class TensorLifetimeTests
{
    /// <summary>Tensors other tests left to the finalizer would otherwise vanish mid-count.</summary>
    public TensorLifetimeTests()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

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
        long before = torch.Tensor.TotalCount;
        trainer.Train(SampleData.Make(64));
        var counts = trainer.LiveTensorsAtStepEnd.Skip(9).ToList();
        Assert.True(counts.Max() - counts.Min() <= 3 * 2, string.Join(",", counts));   // 2 batches buffered + 1 being collated, of 2 tensors each
        Assert.Equal(before, torch.Tensor.TotalCount);           // and nothing left once Train returns
    }

    [Fact]
    public void Live_tensors_do_not_grow_over_50_evaluation_batches()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { PerDeviceEvalBatchSize = 2, DataloaderPrefetchFactor = 0, PredictionLossOnly = true };
        var trainer = new MetricTrainer(TinyNet.Create(), args);
        long before = torch.Tensor.TotalCount;
        trainer.Evaluate(SampleData.Make(100));
        Assert.Equal(50, trainer.LiveTensorsPerEvalBatch.Count);
        Assert.Equal(trainer.LiveTensorsPerEvalBatch[1], trainer.LiveTensorsPerEvalBatch[49]);
        Assert.Equal(before, torch.Tensor.TotalCount);
    }

    [Fact]
    public void Metrics_keep_exactly_the_logits_and_labels_and_free_them_after()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { PerDeviceEvalBatchSize = 2, DataloaderPrefetchFactor = 0 };
        var trainer = new MetricTrainer(TinyNet.Create(), args);
        long before = torch.Tensor.TotalCount;
        trainer.Evaluate(SampleData.Make(100));
        var counts = trainer.LiveTensorsPerEvalBatch;
        Assert.Equal(2 * 48, counts[49] - counts[1]);   // one logits and one labels tensor kept per batch, on purpose
        Assert.Equal(before, torch.Tensor.TotalCount);
    }
}
