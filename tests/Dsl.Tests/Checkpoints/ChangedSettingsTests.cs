using Dsl.Checkpoints;
using Dsl.Tests.Support;

namespace Dsl.Tests.Checkpoints;

/// <summary>
/// Resuming with other settings than the checkpoint's warns setting by setting, as HF's
/// <c>compare_trainer_and_checkpoint_args</c> (test_trainer.py, <c>test_compare_trainer_and_checkpoint_args_logging</c>).
/// </summary>
[Collection(TorchState.Name)]
public sealed class ChangedSettingsTests
{
    private static TrainingArguments First(string dir) => Args.Quiet(dir) with
    {
        ReportTo = ["console"], EvalSteps = 5, GradientAccumulationSteps = 2, PerDeviceTrainBatchSize = 4,
        SaveStrategy = SaveStrategy.Steps, SaveSteps = 5, LoggingSteps = 5, MaxSteps = 10,
    };

    [Fact]
    public void Compare_trainer_and_checkpoint_args_logging_names_each_changed_setting()
    {
        using var temp = new TempDirectory();
        ConsoleCapture.Errors(() => new DefaultsTrainer(TinyNet.Create(), First(temp.Path)).Train(SampleData.Make(128)));

        var modified = First(temp.Path) with { EvalSteps = 10, GradientAccumulationSteps = 4, PerDeviceTrainBatchSize = 8, SaveSteps = 10 };
        var resumed = new DefaultsTrainer(TinyNet.Create(), modified);
        string errors = ConsoleCapture.Errors(() => resumed.Train(SampleData.Make(128), resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, 5)));

        Assert.Contains("save_steps: 10 (from args) != 5 (from trainer_state.json)", errors);
        Assert.Contains("per_device_train_batch_size: 8 (from args) != 4 (from trainer_state.json)", errors);
        Assert.Contains("eval_steps: 10 (from args) != 5 (from trainer_state.json)", errors);
        Assert.Contains("gradient_accumulation_steps: 4 (from args) != 2 (from training_args.json)", errors);
        Assert.DoesNotContain("logging_steps", errors);   // unchanged
        Assert.Equal(10, resumed.State.GlobalStep);        // the run still resumes, with the new values
    }

    [Fact]
    public void Compare_trainer_and_checkpoint_args_is_silent_when_nothing_changed()
    {
        using var temp = new TempDirectory();
        ConsoleCapture.Errors(() => new DefaultsTrainer(TinyNet.Create(), First(temp.Path)).Train(SampleData.Make(128)));
        string errors = ConsoleCapture.Errors(() =>
            new DefaultsTrainer(TinyNet.Create(), First(temp.Path)).Train(SampleData.Make(128), resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, 5)));
        Assert.DoesNotContain("differ from the checkpoint", errors);
    }
}
