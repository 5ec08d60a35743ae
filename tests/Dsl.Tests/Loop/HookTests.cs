using Dsl.Tests.Support;

namespace Dsl.Tests.Loop;

/// <summary>Hooks fire in HF Trainer's order (on_step_end → on_log → on_evaluate → on_save; on_epoch_end; on_train_end).</summary>
[Collection(TorchState.Name)]
public sealed class HookTests
{
    [Fact]
    public void Hooks_fire_in_HFs_order()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            LoggingSteps = 2, EvalStrategy = IntervalStrategy.Steps, EvalSteps = 2,
            SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, MaxSteps = 3, PerDeviceTrainBatchSize = 8,
        };
        var trainer = new HookTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(16), SampleData.Make(8));   // 2 steps an epoch

        Assert.Equal(
        [
            "StepEnd:1",
            "StepEnd:2", "Log:2:loss", "Log:2:eval_loss", "Evaluate:2", "Save:2:checkpoint-2",
            "EpochEnd:0",
            // MaxSteps reached: HF evaluates (transformers PR #44146) and saves at the end of training.
            "StepEnd:3", "Log:3:eval_loss", "Evaluate:3", "Save:3:checkpoint-3",
            "EpochEnd:1",
            "Log:3:train_runtime", "TrainEnd",
        ], trainer.Events);
    }

    [Fact]
    public void A_hook_can_stop_training()
    {
        using var temp = new TempDirectory();
        var trainer = new HookTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { NumTrainEpochs = 5 });
        trainer.StopAtStep = 3;
        var output = trainer.Train(SampleData.Make(64));
        Assert.Equal(3, output.GlobalStep);
        Assert.Equal(["StepEnd:1", "StepEnd:2", "StepEnd:3", "EpochEnd:0", "Log:3:train_runtime", "TrainEnd"], trainer.Events);
    }

    [Fact]
    public void A_hook_can_force_a_log_an_evaluation_and_a_save()
    {
        using var temp = new TempDirectory();
        var trainer = new HookTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { MaxSteps = 3 });
        trainer.RequestAtStep = 2;
        trainer.Request = TrainerControl.Log | TrainerControl.Evaluate | TrainerControl.Save;
        trainer.Train(SampleData.Make(64), SampleData.Make(8));
        Assert.Equal(["StepEnd:1", "StepEnd:2", "Log:2:loss", "Log:2:eval_loss", "Evaluate:2", "Save:2:checkpoint-2", "StepEnd:3", "EpochEnd:0",
            "Log:3:train_runtime", "TrainEnd"], trainer.Events);
    }

    [Fact]
    public void A_forced_evaluation_without_an_eval_dataset_says_so()
    {
        using var temp = new TempDirectory();
        var trainer = new HookTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { MaxSteps = 3 });
        trainer.RequestAtStep = 1;
        trainer.Request = TrainerControl.Evaluate;
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Train(SampleData.Make(64)));
        Assert.Contains("but Train got no evalDataset", e.Message);
    }

    [Fact]
    public void Epoch_strategies_log_evaluate_and_save_at_each_epoch_end()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            LoggingStrategy = IntervalStrategy.Epoch, EvalStrategy = IntervalStrategy.Epoch, SaveStrategy = SaveStrategy.Epoch,
            NumTrainEpochs = 2,
        };
        var trainer = new HookTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(16), SampleData.Make(8));
        Assert.Equal(
        [
            "StepEnd:1", "StepEnd:2", "EpochEnd:0", "Log:2:loss", "Log:2:eval_loss", "Evaluate:2", "Save:2:checkpoint-2",
            // HF: reaching max_steps saves at the step's end with the Steps strategy only, so the epoch's end
            // saves once (transformers issue #36203).
            "StepEnd:3", "StepEnd:4", "EpochEnd:1", "Log:4:loss", "Log:4:eval_loss", "Evaluate:4", "Save:4:checkpoint-4",
            "Log:4:train_runtime", "TrainEnd",
        ], trainer.Events);
    }

    [Fact]
    public void A_hooks_return_type_never_decides_whether_it_runs_inside_Train()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            LoggingSteps = 1, EvalStrategy = IntervalStrategy.Steps, EvalSteps = 1, SaveStrategy = SaveStrategy.Steps, SaveSteps = 1,
            MaxSteps = 1, PerDeviceTrainBatchSize = 8,
        };
        var trainer = new BothHookShapesTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(8), SampleData.Make(8));
        foreach (string kind in new[] { "StepEnd", "Log", "Evaluate", "Save", "EpochEnd", "TrainEnd" })
            Assert.Equal(trainer.Events.Count(e => e == kind + ":void"), trainer.Events.Count(e => e == kind + ":control"));
        Assert.Contains("Evaluate:control", trainer.Events);
        Assert.Contains("TrainEnd:control", trainer.Events);
    }

    [Fact]
    public void Evaluate_outside_Train_calls_OnEvaluate_and_OnLog_hooks_that_return_TrainerControl()
    {
        using var temp = new TempDirectory();
        var trainer = new BothHookShapesTrainer(TinyNet.Create(), Args.Quiet(temp.Path));
        trainer.Evaluate(SampleData.Make(8));
        Assert.Equal(["Log:void", "Log:control", "Evaluate:void", "Evaluate:control"], trainer.Events);
    }
}
