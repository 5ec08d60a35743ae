namespace Dsl.Tests.Runtime;

public sealed class TrainingArgumentsTests
{
    [Fact]
    public void Defaults_are_Hugging_Faces()
    {
        var args = new TrainingArguments();
        Assert.Equal(5e-5, args.LearningRate);
        Assert.Equal(8, args.PerDeviceTrainBatchSize);
        Assert.Equal(3.0, args.NumTrainEpochs);
        Assert.Equal(1.0, args.MaxGradNorm);
        Assert.Equal(500, args.LoggingSteps);
        Assert.Equal(500, args.SaveSteps);
        Assert.Equal(42, args.Seed);
        Assert.Equal(0.9, args.AdamBeta1);
        Assert.Equal(0.999, args.AdamBeta2);
        Assert.Equal(1e-8, args.AdamEpsilon);
        Assert.Equal(SchedulerType.Linear, args.LrSchedulerType);
        Assert.Equal(IntervalStrategy.No, args.EvalStrategy);
        Assert.Equal(SaveStrategy.Steps, args.SaveStrategy);
        args.Validate();
    }

    // Deliberately impossible settings: these test the run-time checks that the DSL02x analyzers
    // report at compile time (docs/diagnostics.md).
#pragma warning disable DSL020, DSL021, DSL022, DSL023, DSL024, DSL026, DSL027, DSL028, DSL033, DSL038, DSL047
    public static TheoryData<TrainingArguments, string> Impossible => new()
    {
        { new() { GradientAccumulationSteps = 0 }, "TrainingArguments.GradientAccumulationSteps is 0; it must be at least 1 (the batches whose gradients add up to one optimizer step)." },
        { new() { LearningRate = 0 }, "TrainingArguments.LearningRate is 0; it must be a finite number above 0." },
        { new() { PerDeviceTrainBatchSize = -2 }, "TrainingArguments.PerDeviceTrainBatchSize is -2; it must be at least 1." },
        { new() { WarmupRatio = 1.5 }, "TrainingArguments.WarmupRatio is 1.5; it must be in [0, 1) (the fraction of the training steps spent warming up)." },
        { new() { LoggingSteps = 0 }, "TrainingArguments.LoggingSteps is 0 with LoggingStrategy = Steps; it must be above 0, and a whole number when 1 or more" },
        { new() { SaveSteps = 2.5 }, "TrainingArguments.SaveSteps is 2.5 with SaveStrategy = Steps; it must be above 0, and a whole number when 1 or more" },
        { new() { SaveTotalLimit = -1 }, "TrainingArguments.SaveTotalLimit is -1; it must be null or 0 (keep every checkpoint), or the number of checkpoints to keep." },
        { new() { MaxSteps = 0 }, "TrainingArguments.MaxSteps is 0; it must be -1 (use NumTrainEpochs) or at least 1." },
        { new() { ReportTo = ["wandb"] }, "TrainingArguments.ReportTo has 'wandb', which is not a report target; use all, none, console, jsonl, tensorboard." },
        { new() { LoadBestModelAtEnd = true }, "LoadBestModelAtEnd needs evaluations to pick the best model, but EvalStrategy is No" },
        { new() { LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Epoch },
            "LoadBestModelAtEnd needs the checkpoints to be saved where evaluations are (HF's rule), but SaveStrategy is Steps and EvalStrategy is Epoch; make them match, or set SaveStrategy to Best (saves on each new best)." },
        { new() { LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Steps, EvalSteps = 30, SaveSteps = 50 },
            "LoadBestModelAtEnd needs every checkpoint to be saved at an evaluation step (HF's rule), but SaveSteps (50) is not a multiple of EvalSteps (30)." },
        { new() { SaveStrategy = SaveStrategy.Best }, "SaveStrategy is Best, which saves on a new best MetricForBestModel, but no metric is set" },
        { new() { LrSchedulerKwargs = new Dictionary<string, double> { ["cycles"] = 2 } },
            "TrainingArguments.LrSchedulerKwargs has 'cycles', which is not a scheduler argument; use num_cycles, power, lr_end, min_lr, " +
            "min_lr_rate, num_decay_steps, num_stable_steps, min_lr_ratio, factor, patience, threshold, cooldown, eps." },
        { new() { Device = "tpu" }, "TrainingArguments.Device has 'tpu', which is not a device libtorch can parse; use cpu, cuda or cuda:N (did you mean 'cpu'?)." },
    };
#pragma warning restore DSL020, DSL021, DSL022, DSL023, DSL024, DSL026, DSL027, DSL028, DSL033, DSL038, DSL047

    [Theory]
    [MemberData(nameof(Impossible))]
    public void Impossible_settings_are_named_with_their_range(TrainingArguments args, string message)
    {
        var e = Assert.Throws<ArgumentException>(args.Validate);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Best_model_settings_resolve_as_in_HF()
    {
        var args = new TrainingArguments { LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Steps };
        Assert.Equal("eval_loss", args.ResolvedMetricForBestModel);
        Assert.False(args.ResolvedGreaterIsBetter);
        var accuracy = args with { MetricForBestModel = "accuracy" };
        Assert.Equal("eval_accuracy", accuracy.ResolvedMetricForBestModel);
        Assert.True(accuracy.ResolvedGreaterIsBetter);
        Assert.Null(new TrainingArguments().ResolvedMetricForBestModel);
    }

    [Theory]
    [InlineData(0.1, 95, 10)]
    [InlineData(0.25, 10, 3)]
    [InlineData(20.0, 95, 20)]
    public void Fractional_steps_are_a_share_of_the_training_steps_rounded_up(double steps, int maxSteps, int expected) =>
        Assert.Equal(expected, TrainingArguments.ResolveSteps(steps, maxSteps));

    [Fact]
    public void Warmup_steps_win_over_the_ratio()
    {
        Assert.Equal(7, new TrainingArguments { WarmupSteps = 7, WarmupRatio = 0.5 }.WarmupStepsFor(100));
        Assert.Equal(11, new TrainingArguments { WarmupRatio = 0.1 }.WarmupStepsFor(101));
    }
}
