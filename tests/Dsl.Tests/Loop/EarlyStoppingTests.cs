using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using Dsl.Tests.Support;

namespace Dsl.Tests.Loop;

/// <summary>
/// <c>EarlyStoppingPatience</c> with HF's <c>EarlyStoppingCallback</c> semantics (tests/trainer/test_trainer.py,
/// <c>test_early_stopping_callback</c>; trainer_callback.py, <c>check_metric_value</c> and <c>on_evaluate</c>).
/// </summary>
[Collection(TorchState.Name)]
public sealed class EarlyStoppingTests
{
    private static TrainingArguments Watching(string dir, int patience) => Args.Quiet(dir) with
    {
        EvalStrategy = IntervalStrategy.Steps, EvalSteps = 1, MaxSteps = 20, MetricForBestModel = "loss",
        EarlyStoppingPatience = patience,
    };

    private static ScriptedEvalTrainer Scripted(TrainingArguments args, params float[] lossPerStep)
    {
        var trainer = new ScriptedEvalTrainer(TinyNet.Create(), args);
        for (int i = 0; i < lossPerStep.Length; i++) trainer.EvalLossAtStep[i + 1] = lossPerStep[i];
        return trainer;
    }

    [Fact]
    public void EarlyStoppingCallback_stops_after_patience_evaluations_without_improvement()
    {
        using var temp = new TempDirectory();
        // Best 1.0, then 0.5; 0.6 and 0.55 do not beat 0.5: the second miss reaches the patience of 2.
        var trainer = Scripted(Watching(temp.Path, patience: 2), 1.0f, 0.5f, 0.6f, 0.55f, 0.1f);
        trainer.Train(SampleData.Make(200), SampleData.Make(8));
        Assert.Equal(4, trainer.State.GlobalStep);
        Assert.Equal(0.5, trainer.State.BestMetric!.Value, 6);
    }

    [Fact]
    public void EarlyStoppingCallback_resets_its_counter_on_an_improvement()
    {
        using var temp = new TempDirectory();
        // Misses at 3 and 5 are separated by a new best at 4, so the patience of 2 is reached only at step 6.
        var trainer = Scripted(Watching(temp.Path, patience: 2), 1.0f, 0.5f, 0.6f, 0.4f, 0.45f, 0.41f, 0.1f);
        trainer.Train(SampleData.Make(200), SampleData.Make(8));
        Assert.Equal(6, trainer.State.GlobalStep);
    }

    [Fact]
    public void EarlyStoppingCallback_threshold_counts_a_smaller_improvement_as_none()
    {
        using var temp = new TempDirectory();
        // HF: an improvement counts only when |metric - best| > threshold. 0.95 and 0.94 beat the best by less than 0.1.
        var args = Watching(temp.Path, patience: 2) with { EarlyStoppingThreshold = 0.1 };
        var trainer = Scripted(args, 1.0f, 0.95f, 0.94f, 0.5f);
        trainer.Train(SampleData.Make(200), SampleData.Make(8));
        Assert.Equal(3, trainer.State.GlobalStep);
        Assert.Equal(0.94, trainer.State.BestMetric!.Value, 6);   // the best checkpoint still follows the metric itself
    }

    [Fact]
    public void EarlyStoppingCallback_with_greater_is_better_watches_for_a_rise()
    {
        using var temp = new TempDirectory();
        // MetricForBestModel "loss" with GreaterIsBetter = true: falling values are misses.
        var args = Watching(temp.Path, patience: 1) with { GreaterIsBetter = true };
        var trainer = Scripted(args, 0.5f, 0.6f, 0.4f, 0.9f);
        trainer.Train(SampleData.Make(200), SampleData.Make(8));
        Assert.Equal(3, trainer.State.GlobalStep);
    }

    [Fact]
    public void EarlyStoppingCallback_requires_evaluation_and_does_not_train()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { MetricForBestModel = "loss", EarlyStoppingPatience = 1, MaxSteps = 5 };
        var trainer = new ScriptedEvalTrainer(TinyNet.Create(), args);
        var e = Assert.Throws<ArgumentException>(() => trainer.Train(SampleData.Make(64), SampleData.Make(8)));
        Assert.Contains("EarlyStoppingPatience stops training when an evaluation metric stops improving, but EvalStrategy is No", e.Message);
        Assert.Equal(0, trainer.State.GlobalStep);
    }

    [Fact]
    public void EarlyStoppingCallback_requires_metric_for_best_model_and_does_not_train()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { EvalStrategy = IntervalStrategy.Steps, EvalSteps = 1, EarlyStoppingPatience = 1, MaxSteps = 5 };
        var trainer = new ScriptedEvalTrainer(TinyNet.Create(), args);
        var e = Assert.Throws<ArgumentException>(() => trainer.Train(SampleData.Make(64), SampleData.Make(8)));
        Assert.Contains("EarlyStoppingPatience stops training when an evaluation metric stops improving, but MetricForBestModel is null", e.Message);
        Assert.Equal(0, trainer.State.GlobalStep);
    }

    [Fact]
    public void EarlyStoppingCallback_without_load_best_model_at_end_warns_as_HF_does()
    {
        using var temp = new TempDirectory();
        var args = Watching(temp.Path, patience: 1) with { ReportTo = ["console"], MaxSteps = 2 };
        string errors = ConsoleCapture.Errors(() => Scripted(args, 1f, 2f).Train(SampleData.Make(64), SampleData.Make(8)));
        Assert.Contains("EarlyStoppingPatience is set without LoadBestModelAtEnd", errors);
    }

    [Fact]
    public void EarlyStoppingPatience_of_zero_is_refused_by_Validate()
    {
        int zero = 0;   // not a constant: DSL040 would report the missing evaluation first
        var e = Assert.Throws<ArgumentException>(() => new TrainingArguments { EarlyStoppingPatience = zero }.Validate());
        Assert.Contains("EarlyStoppingPatience", e.Message);
#pragma warning disable DSL038 // the run-time check that DSL038 reports at compile time
        Assert.Throws<ArgumentException>(() => new TrainingArguments { EarlyStoppingThreshold = -1 }.Validate());
#pragma warning restore DSL038
    }

    [Fact]
    public void Stateful_callbacks_hold_the_EarlyStoppingCallback_counter_in_HFs_layout()
    {
        using var temp = new TempDirectory();
        var args = Watching(temp.Path, patience: 3) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 1 };
        Scripted(args, 1.0f, 0.9f, 0.95f, 0.97f, 0.99f).Train(SampleData.Make(200), SampleData.Make(8));

        var callbacks = JsonNode.Parse(File.ReadAllText(Path.Combine(Checkpoint.PathFor(temp.Path, 4), Checkpoint.StateFile)))!["stateful_callbacks"]!;
        var early = callbacks["EarlyStoppingCallback"]!;
        Assert.Equal(3, early["args"]!["early_stopping_patience"]!.GetValue<int>());
        Assert.Equal(0.0, early["args"]!["early_stopping_threshold"]!.GetValue<double>());
        Assert.Equal(2, early["attributes"]!["early_stopping_patience_counter"]!.GetValue<int>());
        Assert.False(callbacks["TrainerControl"]!["args"]!["should_training_stop"]!.GetValue<bool>());
        // The checkpoint of the step that stopped says so.
        var last = JsonNode.Parse(File.ReadAllText(Path.Combine(Checkpoint.PathFor(temp.Path, 5), Checkpoint.StateFile)))!["stateful_callbacks"]!;
        Assert.True(last["TrainerControl"]!["args"]!["should_training_stop"]!.GetValue<bool>());
        Assert.Equal(3, last["EarlyStoppingCallback"]!["attributes"]!["early_stopping_patience_counter"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(true, 5)]    // the counter (2) comes back: one more miss stops, as without the interruption
    [InlineData(false, 7)]   // HF's default: the counter restarts at 0, so three more misses are needed
    public void Stateful_callbacks_restore_the_EarlyStoppingCallback_counter_on_resume(bool restore, int stopsAt)
    {
        using var temp = new TempDirectory();
        var args = Watching(temp.Path, patience: 3) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 1 };
        float[] script = [1.0f, 0.9f, 0.95f, 0.97f, 0.99f, 0.99f, 0.99f, 0.99f];
        var uninterrupted = Scripted(args, script);
        uninterrupted.Train(SampleData.Make(200), SampleData.Make(8));
        Assert.Equal(5, uninterrupted.State.GlobalStep);

        var resumed = Scripted(args with { RestoreCallbackStatesFromCheckpoint = restore }, script);
        resumed.Train(SampleData.Make(200), SampleData.Make(8), resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, 4));
        Assert.Equal(stopsAt, resumed.State.GlobalStep);
    }
}
