using Dsl.Logging;
using Dsl.Tests.Support;

namespace Dsl.Tests.Loop;

/// <summary>What the loop logs: HF's loss, grad_norm, learning_rate and epoch.</summary>
[Collection(TorchState.Name)]
public sealed class LoggingTests
{
    [Theory]
    [InlineData(1, 5)]
    [InlineData(3, 4)]
    public void Logged_loss_is_the_mean_per_optimizer_step_since_the_last_log(int ga, int loggingSteps)
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = ga, LoggingSteps = loggingSteps, NumTrainEpochs = 2,
        };
        var trainer = new ParityTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(100));   // 13 batches an epoch

        // Rebuild HF's running loss from the step losses: each batch adds loss / window (float32, on the
        // device), and a log divides the total by the optimizer steps since the last log.
        int batches = 13;
        var perStep = new List<float>();
        float window = 0;
        for (int i = 0; i < trainer.Losses.Count; i++)
        {
            int b = i % batches;
            int size = Math.Min(ga, batches - b / ga * ga);
            window += size == 1 ? trainer.Losses[i] : trainer.Losses[i] / size;
            if ((b + 1) % ga == 0 || b + 1 == batches) { perStep.Add(window); window = 0; }
        }

        var logs = trainer.State.LogHistory.Where(e => e.ContainsKey("loss")).ToList();
        Assert.Equal(trainer.State.GlobalStep / loggingSteps, logs.Count);
        int last = 0;
        foreach (var entry in logs)
        {
            float running = 0;
            for (int s = last; s < entry.Step; s++) running += perStep[s];
            double expected = PythonFloat.Round((double)running / (entry.Step - last), 4);
            Assert.Equal(expected, entry["loss"]);
            last = entry.Step;
        }
    }

    [Fact]
    public void A_log_entry_has_HFs_keys_in_HFs_order()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { LoggingSteps = 3, LoggingFirstStep = true };
        var trainer = new ParityTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(64));

        var first = trainer.State.LogHistory[0];
        Assert.Equal(1, first.Step);
        Assert.Equal(["loss", "grad_norm", "learning_rate", "epoch"], first.Keys);
        Assert.Equal([1, 3, 6, 8], trainer.State.LogHistory.Select(e => e.Step));   // first step, every 3, then the summary at 8
        Assert.Equal(["train_runtime", "train_samples_per_second", "train_steps_per_second", "total_flos", "train_loss", "epoch"],
            trainer.State.LogHistory[^1].Keys);
        Assert.Equal(0.125, first["epoch"]);
        Assert.True(first["grad_norm"] > 0);
    }

    [Fact]
    public void Logged_learning_rate_is_the_rate_the_step_used()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { LoggingSteps = 1, WarmupSteps = 2, LearningRate = 0.1 };
        var trainer = new ParityTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(64));   // 8 steps

        var rates = trainer.State.LogHistory.Where(e => e.ContainsKey("learning_rate")).Select(e => e["learning_rate"]).ToList();
        // Linear with 2 warmup steps over 8: step s (0-based) uses 0.1 × factor(s).
        double[] expected = [0.0, 0.05, 0.1, 0.1 * 5 / 6, 0.1 * 4 / 6, 0.1 * 3 / 6, 0.1 * 2 / 6, 0.1 * 1 / 6];
        Assert.Equal(expected.Length, rates.Count);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], rates[i], 15);
    }

    [Fact]
    public void Train_returns_the_mean_loss_and_HFs_speed_metrics()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { LoggingSteps = 3 };
        var trainer = new ParityTrainer(TinyNet.Create(), args);
        var output = trainer.Train(SampleData.Make(64));

        var perStepMean = trainer.Losses.Average(l => (double)l);
        Assert.Equal(perStepMean, output.TrainingLoss, 5);
        Assert.Equal(output.TrainingLoss, output.Metrics["train_loss"]);
        double runtime = output.Metrics["train_runtime"];
        Assert.Equal(PythonFloat.Round(runtime, 4), runtime);
        Assert.Equal(PythonFloat.Round(output.Metrics["train_samples_per_second"], 3), output.Metrics["train_samples_per_second"]);
        Assert.Equal(1.0, output.Metrics["epoch"]);
    }

    [Fact]
    public void Jsonl_log_has_one_line_per_entry()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { LoggingSteps = 2, ReportTo = ["jsonl"], LoggingDir = temp["logs"] };
        var trainer = new ParityTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(64));

        var lines = File.ReadAllLines(temp["logs/log_history.jsonl"]);
        Assert.Equal(trainer.State.LogHistory.Count, lines.Length);
        Assert.StartsWith("{\"loss\": ", lines[0]);
        Assert.EndsWith("\"step\": 2}", lines[0]);
    }
}
