using System.Collections;
using Dsl.Tests.Support;
using static TorchSharp.torch;

namespace Dsl.Tests.Loop;

/// <summary>
/// Evaluate and Predict on a stream (HF's IterableDataset in evaluation_loop: no length; num_samples are the examples
/// observed): the same numbers as on the list, the stream read once in order, and clear errors.
/// </summary>
[Collection(TorchState.Name)]
public sealed class EvaluateStreamTests
{
    /// <summary>Yields its samples, counting passes; throws at <paramref name="failAt"/> when set.</summary>
    private sealed class Stream(IReadOnlyList<Sample> samples, int failAt = -1) : IEnumerable<Sample>
    {
        public int Passes { get; private set; }

        public IEnumerator<Sample> GetEnumerator()
        {
            Passes++;
            for (int i = 0; i < samples.Count; i++)
            {
                if (i == failAt) throw new IOException("disk gone");
                yield return samples[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void A_stream_evaluates_to_the_lists_loss_and_metrics_and_is_read_once(int prefetch)
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { PerDeviceEvalBatchSize = 8, DataloaderPrefetchFactor = prefetch };
        var trainer = new MetricTrainer(TinyNet.Create(), args);
        var data = SampleData.Make(30);   // 3 full batches and one of 6
        var fromList = trainer.Evaluate(data);
        var stream = new Stream(data);
        var fromStream = trainer.Evaluate(stream);

        Assert.Equal(1, stream.Passes);
        Assert.Equal(fromList.Keys, fromStream.Keys);
        Assert.Equal(fromList["eval_loss"], fromStream["eval_loss"], 6);
        Assert.Equal(fromList["eval_accuracy"], fromStream["eval_accuracy"]);
        Assert.Equal(4, trainer.LiveTensorsPerEvalBatch.Count / 2);   // 4 batches each time
    }

    [Fact]
    public void Predict_on_a_stream_returns_the_lists_logits_and_labels_in_order()
    {
        using var temp = new TempDirectory();
        var trainer = new MetricTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { PerDeviceEvalBatchSize = 8 });
        var data = SampleData.Make(21);
        using var fromList = trainer.Predict(data);
        using var fromStream = trainer.Predict(new Stream(data));
        Assert.Equal(fromList.Predictions!.data<float>().ToArray(), fromStream.Predictions!.data<float>().ToArray());
        Assert.Equal(fromList.LabelIds!.data<long>().ToArray(), fromStream.LabelIds!.data<long>().ToArray());
        Assert.Equal(fromList.Metrics["test_loss"], fromStream.Metrics["test_loss"], 6);
    }

    [Fact]
    public void The_speeds_count_the_examples_and_batches_the_stream_yielded()
    {
        using var temp = new TempDirectory();
        var trainer = new MetricTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { PerDeviceEvalBatchSize = 8 });
        var result = trainer.Evaluate(new Stream(SampleData.Make(30)));
        // HF's speed_metrics: samples and steps per second of the same runtime; 30 examples in 4 batches.
        Assert.Equal(30.0 / 4, result.SamplesPerSecond / result.StepsPerSecond, 2);
    }

    [Fact]
    public void An_empty_or_failing_stream_is_a_clear_error()
    {
        using var temp = new TempDirectory();
        var trainer = new MetricTrainer(TinyNet.Create(), Args.Quiet(temp.Path));
        Assert.Equal("The evaluation stream yielded no examples.",
            Assert.Throws<ArgumentException>(() => trainer.Evaluate(new Stream([]))).Message);
        var dropLast = new MetricTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { DataloaderDropLast = true, PerDeviceEvalBatchSize = 8 });
        Assert.Contains("fewer examples than one batch of 8 with DataloaderDropLast",
            Assert.Throws<ArgumentException>(() => dropLast.Evaluate(new Stream(SampleData.Make(5)))).Message);
        var failed = Assert.Throws<InvalidOperationException>(() => trainer.Evaluate(new Stream(SampleData.Make(30), failAt: 11)));
        Assert.Contains("the evaluation stream failed at example 11", failed.Message);
        Assert.IsType<IOException>(failed.InnerException);
    }
}
