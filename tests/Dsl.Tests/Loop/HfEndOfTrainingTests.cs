using Dsl.Checkpoints;
using Dsl.Tests.Support;

namespace Dsl.Tests.Loop;

/// <summary>
/// What HF Trainer does when training ends: the last evaluation (transformers PR #44146), the one save at an
/// epoch's end (#36203), and SaveTotalLimit = 1 with a best checkpoint (trainer.py, the end of
/// <c>_inner_training_loop</c>).
/// </summary>
[Collection(TorchState.Name)]
public sealed class HfEndOfTrainingTests
{
    private static string[] Remaining(string dir) =>
        Directory.GetDirectories(dir, "checkpoint-*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void Steps_strategy_evaluates_the_last_step_when_it_is_not_a_multiple_of_eval_steps()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            EvalStrategy = IntervalStrategy.Steps, EvalSteps = 2, SaveStrategy = SaveStrategy.Steps, SaveSteps = 2,
            MaxSteps = 5, LoadBestModelAtEnd = true,
        };
        var trainer = new ScriptedEvalTrainer(TinyNet.Create(), args);
        trainer.EvalLossAtStep[2] = 0.9f;
        trainer.EvalLossAtStep[4] = 0.5f;
        trainer.EvalLossAtStep[5] = 0.1f;   // the best, at the last step, off the EvalSteps grid
        trainer.Train(SampleData.Make(40), SampleData.Make(8));

        var evaluated = trainer.State.LogHistory.Where(e => e.ContainsKey("eval_loss")).Select(e => e.Step);
        Assert.Equal([2, 4, 5], evaluated);
        Assert.Equal(0.1, trainer.State.BestMetric!.Value, 6);
        Assert.Equal(5, trainer.State.BestGlobalStep);
        Assert.Equal(Checkpoint.PathFor(temp.Path, 5), trainer.State.BestModelCheckpoint);
    }

    [Fact]
    public void Steps_strategy_evaluates_the_last_step_once_when_it_is_a_multiple_of_eval_steps()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { EvalStrategy = IntervalStrategy.Steps, EvalSteps = 2, MaxSteps = 4, PerDeviceTrainBatchSize = 8 };
        var trainer = new HookTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(64), SampleData.Make(8));
        Assert.Equal(["Evaluate:2", "Evaluate:4"], trainer.Events.Where(e => e.StartsWith("Evaluate:", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_last_step_is_not_evaluated_before_eval_delay()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { EvalStrategy = IntervalStrategy.Steps, EvalSteps = 2, EvalDelay = 6, MaxSteps = 5 };
        var trainer = new HookTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(64), SampleData.Make(8));
        Assert.DoesNotContain(trainer.Events, e => e.StartsWith("Evaluate:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { 0.9f, 0.1f, 0.5f, 0.6f, 0.7f }, 4)]   // the best is older than the last checkpoint
    [InlineData(new[] { 0.9f, 0.8f, 0.7f, 0.6f, 0.5f }, 10)]  // the best is the last checkpoint
    public void SaveTotalLimit_1_keeps_only_the_best_checkpoint_at_the_end(float[] evalLosses, int bestStep)
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, SaveTotalLimit = 1, MaxSteps = 10,
            EvalStrategy = IntervalStrategy.Steps, EvalSteps = 2, LoadBestModelAtEnd = true,
        };
        var trainer = new ScriptedEvalTrainer(TinyNet.Create(), args);
        for (int i = 0; i < evalLosses.Length; i++) trainer.EvalLossAtStep[2 * (i + 1)] = evalLosses[i];
        trainer.Train(SampleData.Make(40), SampleData.Make(8));

        Assert.Equal([$"checkpoint-{bestStep}"], Remaining(temp.Path));
        Assert.Equal(Checkpoint.PathFor(temp.Path, bestStep), trainer.State.BestModelCheckpoint);
        Assert.Empty(Directory.GetDirectories(temp.Path, "deleting-*"));
    }

    [Fact]
    public void SaveTotalLimit_1_without_a_best_metric_keeps_the_last_checkpoint()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, SaveTotalLimit = 1, MaxSteps = 10 };
        new ParityTrainer(TinyNet.Create(), args).Train(SampleData.Make(40));
        Assert.Equal(["checkpoint-10"], Remaining(temp.Path));
    }

    [Theory]
    [InlineData(2, 16)]   // MaxSteps is reached at an epoch's end
    [InlineData(3, 32)]   // MaxSteps is reached inside an epoch, which then ends
    public void Epoch_strategy_saves_once_when_max_steps_ends_training(int maxSteps, int examples)
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { SaveStrategy = SaveStrategy.Epoch, MaxSteps = maxSteps, PerDeviceTrainBatchSize = 8 };
        var trainer = new HookTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(examples));
        Assert.Equal([$"Save:{maxSteps}:checkpoint-{maxSteps}"], trainer.Events.Where(e => e.StartsWith("Save:", StringComparison.Ordinal)));
        Assert.Equal([$"checkpoint-{maxSteps}"], Remaining(temp.Path));
    }
}
