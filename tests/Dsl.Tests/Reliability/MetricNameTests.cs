using Dsl.Tests.Support;
using Dsl.Training;

namespace Dsl.Tests.Reliability;

/// <summary>Every metric name is checked when Train starts (issue 25, item 6), not after the first evaluation.</summary>
[Collection(TorchState.Name)]
public sealed class MetricNameTests
{
    private static TrainingArguments Evaluating(string dir) =>
        Args.Quiet(dir) with { EvalStrategy = IntervalStrategy.Steps, EvalSteps = 2, MaxSteps = 4 };

    [Theory]
    [InlineData("acuracy", null, "TrainingArguments.MetricForBestModel is 'acuracy'")]
    [InlineData("eval_f1", null, "TrainingArguments.MetricForBestModel is 'eval_f1'")]
    [InlineData("acuracy", 2, "(early stopping watches it too)")]
    public void A_metric_no_evaluation_reports_fails_before_the_first_step_naming_the_known_keys(string metric, int? patience, string setting)
    {
        using var temp = new TempDirectory();
        var trainer = new MetricTrainer(TinyNet.Create(), Evaluating(temp.Path) with
        {
            MetricForBestModel = metric, EarlyStoppingPatience = patience, SaveStrategy = SaveStrategy.Steps, SaveSteps = 2,
        });
        var error = Assert.Throws<ArgumentException>(() => trainer.Train(SampleData.Make(64), SampleData.Make(16)));
        Assert.Contains(setting, error.Message);
        Assert.Contains("eval_accuracy", error.Message);
        Assert.Contains("eval_loss", error.Message);
        Assert.Equal(nameof(TrainingArguments.MetricForBestModel), error.ParamName);
        Assert.Equal(0, trainer.State.GlobalStep);
        Assert.Empty(trainer.LiveTensorsPerEvalBatch);               // no evaluation ran
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));   // nothing written, no lock taken
    }

    [Fact]
    public void A_metric_a_Metric_method_reports_trains()
    {
        using var temp = new TempDirectory();
        var trainer = new MetricTrainer(TinyNet.Create(), Evaluating(temp.Path) with { MetricForBestModel = "accuracy" });
        trainer.Train(SampleData.Make(64), SampleData.Make(16));
        Assert.Equal(4, trainer.State.GlobalStep);
        Assert.NotNull(trainer.State.BestMetric);
    }

    [Theory]
    [InlineData("accuracy")]   // a value known only at run time (a constant is DSL029 at compile time)
    public void A_trainer_without_metrics_knows_only_the_loss_and_the_speeds(string metric)
    {
        using var temp = new TempDirectory();
        var trainer = new ParityTrainer(TinyNet.Create(), Evaluating(temp.Path) with { MetricForBestModel = metric });
        var error = Assert.Throws<ArgumentException>(() => trainer.Train(SampleData.Make(64), SampleData.Make(16)));
        Assert.Contains("they report eval_loss, eval_runtime, eval_samples_per_second, eval_steps_per_second.", error.Message);
        Assert.Empty(trainer.Losses);
    }

    [Fact]
    public void PredictionLossOnly_keeps_the_metrics_from_running_and_the_message_says_so()
    {
        using var temp = new TempDirectory();
        var trainer = new MetricTrainer(TinyNet.Create(), Evaluating(temp.Path) with { MetricForBestModel = "accuracy", PredictionLossOnly = true });
        var error = Assert.Throws<ArgumentException>(() => trainer.Train(SampleData.Make(64), SampleData.Make(16)));
        Assert.Contains("PredictionLossOnly is set, so the [Metric] methods (accuracy) do not run.", error.Message);
        Assert.Contains("they report eval_loss, eval_runtime, eval_samples_per_second, eval_steps_per_second.", error.Message);
    }

    [Fact]
    public void The_default_loss_of_LoadBestModelAtEnd_is_checked_against_named_datasets()
    {
        var args = Args.Quiet("unused") with
        {
            EvalStrategy = IntervalStrategy.Epoch, SaveStrategy = SaveStrategy.Epoch, LoadBestModelAtEnd = true,
        };
        var error = Assert.Throws<ArgumentException>(() => MetricNames.RequireWatchedMetric(args, ["accuracy"], ["imdb", "sst2"]));
        Assert.Contains("The metric watched by default (LoadBestModelAtEnd) is 'loss', which resolves to 'eval_loss'", error.Message);
        Assert.Contains("eval_imdb_loss", error.Message);
        Assert.Contains("eval_sst2_accuracy", error.Message);
        MetricNames.RequireWatchedMetric(args with { MetricForBestModel = "sst2_accuracy" }, ["accuracy"], ["imdb", "sst2"]);
    }

    [Fact]
    public void No_watched_metric_needs_no_check()
    {
        MetricNames.RequireWatchedMetric(Args.Quiet("unused"), null, null);
        Assert.Equal(["eval_loss", "eval_runtime", "eval_samples_per_second", "eval_steps_per_second", "eval_f1"],
            MetricNames.Known(Args.Quiet("unused"), ["f1"], null));
    }
}
