using Dsl.Logging;
using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Loop;

/// <summary>Evaluate and Predict: HF's keys, rounding and sample-weighted loss.</summary>
[Collection(TorchState.Name)]
public sealed class EvaluateTests
{
    [Fact]
    public void Evaluate_returns_HFs_keys_in_HFs_order_with_HFs_rounding()
    {
        using var temp = new TempDirectory();
        var trainer = new MetricTrainer(TinyNet.Create(), Args.Quiet(temp.Path));
        var metrics = trainer.Evaluate(SampleData.Make(30));

        Assert.Equal(["eval_loss", "eval_accuracy", "eval_runtime", "eval_samples_per_second", "eval_steps_per_second"], metrics.Keys);
        Assert.Equal(PythonFloat.Round(metrics.Runtime, 4), metrics.Runtime);
        Assert.Equal(PythonFloat.Round(metrics.SamplesPerSecond, 3), metrics.SamplesPerSecond);
        Assert.Equal(PythonFloat.Round(metrics.StepsPerSecond, 3), metrics.StepsPerSecond);
        Assert.InRange(metrics.Metric("accuracy"), 0, 1);
    }

    [Fact]
    public void Evaluate_after_training_adds_the_epoch_and_logs_the_metrics()
    {
        using var temp = new TempDirectory();
        var trainer = new MetricTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { NumTrainEpochs = 2 });
        trainer.Train(SampleData.Make(40));
        var metrics = trainer.Evaluate(SampleData.Make(30, seed: 8));

        Assert.Equal("epoch", metrics.Keys.Last());
        Assert.Equal(2.0, metrics["epoch"]);
        var logged = trainer.State.LogHistory[^1];
        Assert.Equal(metrics.Loss, logged["eval_loss"]);
        Assert.Equal(trainer.State.GlobalStep, logged.Step);
    }

    [Fact]
    public void Eval_loss_is_weighted_by_batch_size()
    {
        using var temp = new TempDirectory();
        var model = TinyNet.Create();
        var data = SampleData.Make(21);   // batches of 8, 8 and 5: a plain mean of batch means would differ
        var trainer = new MetricTrainer(model, Args.Quiet(temp.Path));
        var metrics = trainer.Evaluate(data);

        model.eval();
        double sum = 0;
        using (torch.no_grad())
            for (int start = 0; start < data.Count; start += 8)
            {
                var chunk = data.Skip(start).Take(8).ToArray();
                using var batch = SampleBatch.Collate(chunk, torch.CPU);
                using var loss = nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
                sum += loss.item<float>() * chunk.Length;
            }
        Assert.Equal(sum / data.Count, metrics.Loss, 6);
    }

    [Fact]
    public void Predict_returns_logits_labels_and_test_metrics()
    {
        using var temp = new TempDirectory();
        var trainer = new MetricTrainer(TinyNet.Create(), Args.Quiet(temp.Path));
        using var output = trainer.Predict(SampleData.Make(21));

        Assert.Equal(new long[] { 21, 2 }, output.Predictions!.shape);
        Assert.Equal(new long[] { 21 }, output.LabelIds!.shape);
        Assert.Equal(DeviceType.CPU, output.Predictions.device.type);
        Assert.Equal(["test_loss", "test_accuracy", "test_runtime", "test_samples_per_second", "test_steps_per_second"], output.Metrics.Keys);
        double accuracy = output.Predictions.argmax(-1).eq(output.LabelIds).to(ScalarType.Float32).mean().item<float>();
        Assert.Equal(accuracy, output.Metrics.Metric("accuracy"), 6);
    }

    [Fact]
    public void Evaluate_restores_training_mode_and_PredictionLossOnly_skips_metrics()
    {
        using var temp = new TempDirectory();
        var model = TinyNet.Create();
        model.train();
        var trainer = new MetricTrainer(model, Args.Quiet(temp.Path) with { PredictionLossOnly = true });
        var metrics = trainer.Evaluate(SampleData.Make(16));
        Assert.True(model.training);
        Assert.False(metrics.ContainsKey("eval_accuracy"));
    }

    [Fact]
    public void An_empty_evaluation_set_is_a_clear_error()
    {
        using var temp = new TempDirectory();
        var trainer = new MetricTrainer(TinyNet.Create(), Args.Quiet(temp.Path));
        var e = Assert.Throws<ArgumentException>(() => trainer.Evaluate(new List<Sample>()));
        Assert.Equal("The evaluation dataset is empty.", e.Message);
    }

    [Fact]
    public void Training_with_an_eval_strategy_but_no_eval_dataset_is_a_clear_error()
    {
        using var temp = new TempDirectory();
        var trainer = new MetricTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { EvalStrategy = IntervalStrategy.Epoch });
#pragma warning disable DSL041 // the run-time check that DSL041 reports at compile time
        var e = Assert.Throws<ArgumentException>(() => trainer.Train(SampleData.Make(16)));
#pragma warning restore DSL041
        Assert.Contains("EvalStrategy is Epoch, which needs an evaluation dataset", e.Message);
    }
}
