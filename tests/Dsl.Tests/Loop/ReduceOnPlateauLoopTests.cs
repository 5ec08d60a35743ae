using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl.Tests.Loop;

/// <summary>
/// HF tests/trainer/test_trainer.py test_reduce_lr_on_plateau: with <c>reduce_lr_on_plateau</c> the loop
/// does not step the schedule per optimizer step; <c>_evaluate</c> steps it with the evaluation metric
/// (<c>metric_for_best_model</c>, default <c>eval_loss</c>), so the logged rate drops only after
/// <c>patience</c> evaluations without improvement.
/// </summary>
[Collection(TorchState.Name)]
public sealed class ReduceOnPlateauLoopTests
{
    private static TrainingArguments PlateauArgs(string dir) => Args.Quiet(dir) with
    {
        LrSchedulerType = SchedulerType.ReduceLROnPlateau,
        LrSchedulerKwargs = new Dictionary<string, double> { ["factor"] = 0.5, ["patience"] = 1, ["threshold"] = 0 },
        EvalStrategy = IntervalStrategy.Steps,
        EvalSteps = 1,
        LoggingSteps = 1,
        MaxSteps = 7,
        LearningRate = 0.1,
    };

    [Fact]
    public void Reduce_lr_on_plateau_steps_with_the_eval_loss_after_each_evaluation()
    {
        using var temp = new TempDirectory();
        var trainer = new ScriptedEvalTrainer(TinyNet.Create(), PlateauArgs(temp.Path));
        float[] evalLoss = [1.0f, 0.9f, 0.95f, 0.95f, 0.95f, 0.95f, 0.8f];
        for (int step = 1; step <= evalLoss.Length; step++) trainer.EvalLossAtStep[step] = evalLoss[step - 1];

        trainer.Train(SampleData.Make(16), SampleData.Make(8, seed: 8));

        // The rate a step used: 2 bad evaluations (> patience 1) after steps 3-4 halve it for step 5,
        // two more after steps 5-6 halve it again for step 7.
        var rates = trainer.State.LogHistory.Where(e => e.ContainsKey("learning_rate")).Select(e => e["learning_rate"]).ToArray();
        Assert.Equal([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025], rates);
        Assert.Equal(0.8f, trainer.State.BestMetric!.Value, 6);   // HF: the plateau schedule defaults metric_for_best_model to loss
    }

    [Fact]
    public void Reduce_lr_on_plateau_from_a_Scheduler_method_keeps_its_arguments_and_sees_each_evaluation()
    {
        // HF test_trainer.py test_reduce_lr_on_plateau_args: a custom ReduceLROnPlateau passed to the trainer.
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { EvalStrategy = IntervalStrategy.Epoch, MetricForBestModel = "eval_loss", NumTrainEpochs = 3, LoggingSteps = 1 };
        var trainer = new PlateauTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(32), SampleData.Make(16, seed: 8));

        var plateau = trainer.Schedule!;
        Assert.Equal((0.2, 5, 2), (plateau.FactorValue, plateau.Patience, plateau.Cooldown));
        Assert.Equal(3, plateau.Evaluations);
        Assert.Equal(1.0, trainer.State.LogHistory.Single(e => e.ContainsKey("loss") && e.Step == 12)["learning_rate"]);
    }
}

/// <summary>SGD at rate 1 with a plateau schedule from its own [Scheduler] method.</summary>
[Trainer]
public partial class PlateauTrainer(TinyNet model, TrainingArguments args)
{
    public PlateauSchedule? Schedule { get; private set; }

    [Optimizer]
    Optimizer CreateOptimizer() => SGD(model.parameters(), learningRate: 1.0);

    [Scheduler]
    LRScheduler CreateScheduler(Optimizer optimizer, int trainingSteps) =>
        Schedule = Schedules.ReduceLROnPlateau(optimizer, factor: 0.2, patience: 5, cooldown: 2);

    [TrainStep]
    Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
}
