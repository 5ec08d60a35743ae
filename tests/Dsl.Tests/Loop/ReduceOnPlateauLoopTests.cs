using Dsl.Tests.Support;

namespace Dsl.Tests.Loop;

/// <summary>
/// HF tests/trainer/test_trainer.py test_reduce_lr_on_plateau: with <c>reduce_lr_on_plateau</c> the loop
/// does not step the schedule per optimizer step; <c>_evaluate</c> steps it with the evaluation metric
/// (<c>metric_for_best_model</c>, default <c>eval_loss</c>), so the logged rate drops only after
/// <c>patience</c> evaluations without improvement.
/// </summary>
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
}
