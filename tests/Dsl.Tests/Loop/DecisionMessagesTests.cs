using Dsl.Checkpoints;
using Dsl.Logging;
using Dsl.Tests.Support;

namespace Dsl.Tests.Loop;

/// <summary>
/// The loop says what it decided, once, on the console and in <c>{LoggingDir}/trainer.log</c>: where it resumed and
/// what it skips, early stopping, the best model loaded at the end, steps a non-finite value kept from applying.
/// </summary>
[Collection(TorchState.Name)]
public sealed class DecisionMessagesTests
{
    private static TrainingArguments Told(string dir) => Args.Quiet(dir) with
    {
        ReportTo = ["jsonl"], LoggingDir = Path.Combine(dir, "logs"),
    };

    private static string LogFile(string dir) => File.ReadAllText(Path.Combine(dir, "logs", RunMessages.FileName));

    [Fact]
    public void A_resumed_run_says_which_checkpoint_which_step_and_what_it_skips()
    {
        using var temp = new TempDirectory();
        // 80 examples, batch 8, GA 2: 5 steps per epoch; a checkpoint every 3 steps.
        var args = Told(temp.Path) with
        {
            NumTrainEpochs = 2, GradientAccumulationSteps = 2, SaveStrategy = SaveStrategy.Steps, SaveSteps = 3,
        };
        new ParityTrainer(TinyNet.Create(seed: 1), args).Train(SampleData.Make(80));
        string checkpoint = Checkpoint.PathFor(temp.Path, 6);
        Directory.Delete(Checkpoint.PathFor(temp.Path, 9), recursive: true);
        Directory.Delete(Checkpoint.PathFor(temp.Path, 10), recursive: true);

        string console = ConsoleCapture.Errors(() => new ParityTrainer(TinyNet.Create(seed: 1), args).Train(SampleData.Make(80), resumeFromCheckpoint: "last"));
        string expected = $"Info: Resumed from {checkpoint} at global step 6 of 10 (epoch 1.2): skipping the first 1 epochs, then the first 2 batches of epoch 1.";
        Assert.Single(Lines(console), l => l == expected);
        Assert.Contains(expected, LogFile(temp.Path));
    }

    [Fact]
    public void Early_stopping_says_the_metric_its_best_value_and_the_patience()
    {
        using var temp = new TempDirectory();
        var args = Told(temp.Path) with
        {
            EvalStrategy = IntervalStrategy.Steps, EvalSteps = 1, MaxSteps = 20, MetricForBestModel = "loss",
            EarlyStoppingPatience = 2, LoadBestModelAtEnd = true, SaveStrategy = SaveStrategy.Steps, SaveSteps = 1,
        };
        var trainer = new ScriptedEvalTrainer(TinyNet.Create(), args);
        foreach (var (step, loss) in new[] { (1, 1.0f), (2, 0.5f), (3, 0.6f), (4, 0.55f) }) trainer.EvalLossAtStep[step] = loss;
        string console = ConsoleCapture.Errors(() => trainer.Train(SampleData.Make(200), SampleData.Make(8)));

        var lines = Lines(console);
        Assert.Single(lines, l => l == "Info: Early stopping at step 4: eval_loss = 0.55 has not improved on its best, 0.5, by more than 0 " +
                                       "for 2 evaluations in a row (EarlyStoppingPatience); training stops after this step's save.");
        Assert.Single(lines, l => l == $"Info: Loaded the best model from {Checkpoint.PathFor(temp.Path, 2)} (eval_loss = 0.5, step 2) (LoadBestModelAtEnd).");
        Assert.Contains("Info: Early stopping at step 4", LogFile(temp.Path));
    }

    [Fact]
    public void Skipped_non_finite_steps_are_counted_at_the_end()
    {
        using var temp = new TempDirectory();
        var args = Told(temp.Path) with { MaxSteps = 6, NonFiniteLoss = NonFiniteLossPolicy.SkipStep, LrSchedulerType = SchedulerType.Constant };
        string console = ConsoleCapture.Errors(() => new Reliability.NanTrainer(TinyNet.Create(seed: 3), args, [2, 5]).Train(SampleData.Make(80)));
        var lines = Lines(console);
        Assert.Single(lines, l => l.StartsWith("Warning: step 2: the loss is NaN", StringComparison.Ordinal));
        Assert.Single(lines, l => l == "Info: 2 optimizer step(s) were not applied because the loss or the gradient norm was not finite (NonFiniteLoss = SkipStep).");
    }

    [Fact]
    public void ReportTo_none_keeps_the_console_and_the_folder_quiet()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { MaxSteps = 3, NonFiniteLoss = NonFiniteLossPolicy.SkipStep, LoggingDir = Path.Combine(temp.Path, "logs") };
        string console = ConsoleCapture.Errors(() => new Reliability.NanTrainer(TinyNet.Create(seed: 3), args, [2]).Train(SampleData.Make(80)));
        Assert.Equal("", console);
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "logs")));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
