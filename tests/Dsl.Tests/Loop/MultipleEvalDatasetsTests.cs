using Dsl.Tests.Support;

namespace Dsl.Tests.Loop;

/// <summary>
/// Several evaluation datasets at once, as HF's Trainer takes <c>eval_dataset</c> as a dict: each is
/// evaluated with the prefix <c>eval_{name}</c> and logged on its own, and <c>metric_for_best_model</c>
/// names one of them (<c>eval_data1_loss</c>). Checked against HF's <c>Trainer.evaluate</c> docstring and
/// TRL's test_train_with_multiple_eval_dataset (log_history[-3] has eval_data1_loss, [-2] eval_data2_loss).
/// </summary>
[Collection(TorchState.Name)]
public sealed class MultipleEvalDatasetsTests
{
    private static Dictionary<string, IReadOnlyList<Sample>> TwoSets() => new()
    {
        ["data1"] = SampleData.Make(24, seed: 8),
        ["data2"] = SampleData.Make(16, seed: 9),
    };

    [Fact]
    public void Each_named_eval_dataset_is_logged_with_its_name_in_the_keys()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { EvalStrategy = IntervalStrategy.Epoch };
        var trainer = new MetricTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(32), evalDatasets: TwoSets());

        var history = trainer.State.LogHistory;
        Assert.Equal(["eval_data1_loss", "eval_data1_accuracy", "eval_data1_runtime", "eval_data1_samples_per_second",
            "eval_data1_steps_per_second", "epoch"], history[^3].Keys);
        Assert.Equal("eval_data2_loss", history[^2].Keys.First());
        Assert.Contains("train_loss", history[^1].Keys);
    }

    [Fact]
    public void Evaluate_with_named_datasets_returns_every_key_of_each()
    {
        using var temp = new TempDirectory();
        var sets = TwoSets();
        var trainer = new MetricTrainer(TinyNet.Create(), Args.Quiet(temp.Path));
        var all = trainer.Evaluate(sets);
        var one = trainer.Evaluate(sets["data2"], "eval_data2");

        Assert.Equal(10, all.Count);
        Assert.Equal(one["eval_data2_loss"], all["eval_data2_loss"]);
        Assert.Equal(one["eval_data2_accuracy"], all["eval_data2_accuracy"]);
        Assert.NotEqual(all["eval_data1_loss"], all["eval_data2_loss"]);
    }

    [Fact]
    public void MetricForBestModel_names_one_of_the_datasets()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { EvalStrategy = IntervalStrategy.Epoch, MetricForBestModel = "eval_data2_loss" };
        var trainer = new MetricTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(32), evalDatasets: TwoSets());
        Assert.Equal(trainer.State.LogHistory[^2]["eval_data2_loss"], trainer.State.BestMetric);

        var plain = new MetricTrainer(TinyNet.Create(), args with { MetricForBestModel = "loss" });
        var e = Assert.Throws<KeyNotFoundException>(() => plain.Train(SampleData.Make(32), evalDatasets: TwoSets()));
        Assert.Contains("'eval_loss'", e.Message);
        Assert.Contains("eval_data1_loss", e.Message);
    }

    [Fact]
    public void OnEvaluate_fires_once_per_named_dataset()
    {
        using var temp = new TempDirectory();
        var trainer = new HookTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { EvalStrategy = IntervalStrategy.Epoch });
        trainer.Train(SampleData.Make(32), evalDatasets: TwoSets());
        Assert.Equal(2, trainer.Events.Count(e => e.StartsWith("Evaluate:")));
    }

    [Fact]
    public void One_dataset_and_named_datasets_together_or_an_empty_dictionary_are_refused()
    {
        using var temp = new TempDirectory();
        var trainer = new MetricTrainer(TinyNet.Create(), Args.Quiet(temp.Path));
        var both = Assert.Throws<ArgumentException>(() => trainer.Train(SampleData.Make(32), SampleData.Make(8), evalDatasets: TwoSets()));
        Assert.Contains("both evalDataset and evalDatasets", both.Message);
        var empty = Assert.Throws<ArgumentException>(() => trainer.Evaluate(new Dictionary<string, IReadOnlyList<Sample>>()));
        Assert.Contains("evalDatasets is empty", empty.Message);
    }
}
