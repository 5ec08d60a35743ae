using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Loop;

/// <summary>
/// The hook points added after HF's event flow (tests/trainer/test_trainer_callback.py, <c>test_event_flow</c>
/// and its <c>get_expected_events</c>): train begin, epoch begin, step begin, substep end, pre-optimizer step,
/// optimizer step, prediction step, each in HF's place.
/// </summary>
[Collection(TorchState.Name)]
public sealed class HookPointTests
{
    private static TrainingArguments Flow(string dir) => Args.Quiet(dir) with
    {
        LoggingSteps = 2, EvalStrategy = IntervalStrategy.Steps, EvalSteps = 2, PerDeviceEvalBatchSize = 4,
        SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, NumTrainEpochs = 2, PerDeviceTrainBatchSize = 8,
    };

    [Fact]
    public void EventFlow_matches_HFs_expected_events_with_every_hook_point()
    {
        using var temp = new TempDirectory();
        var trainer = new HookPointTrainer(TinyNet.Create(), Flow(temp.Path));
        trainer.Train(SampleData.Make(16), SampleData.Make(8));   // 2 steps an epoch; 2 eval batches

        string[] step(int done) => [$"StepBegin:{done}", $"PreOptimizerStep:{done}", $"OptimizerStep:{done}", $"StepEnd:{done + 1}"];
        string[] evaluation(int at) => ["PredictionStep:0", "PredictionStep:1", $"Log:{at}:eval_loss", $"Evaluate:{at}"];
        var expected = new List<string> { "TrainBegin:0", "EpochBegin:0" };
        expected.AddRange(step(0));
        expected.AddRange(step(1));
        expected.Add("Log:2:loss");
        expected.AddRange(evaluation(2));
        expected.Add("Save:2");
        expected.Add("EpochEnd:0");
        expected.Add("EpochBegin:1");
        expected.AddRange(step(2));
        expected.AddRange(step(3));
        expected.Add("Log:4:loss");
        expected.AddRange(evaluation(4));
        expected.Add("Save:4");
        expected.Add("EpochEnd:1");
        expected.AddRange(["Log:4:train_runtime", "TrainEnd"]);
        Assert.Equal(expected, trainer.Events);
    }

    [Fact]
    public void EventFlow_with_gradient_accumulation_fires_substep_end_for_all_but_each_windows_last_batch()
    {
        using var temp = new TempDirectory();
        // 5 batches an epoch, GA 2: windows [0 1] [2 3] [4]; HF steps at the epoch's last batch too.
        var args = Args.Quiet(temp.Path) with { GradientAccumulationSteps = 2, PerDeviceTrainBatchSize = 4, NumTrainEpochs = 1 };
        var trainer = new HookPointTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(20));

        Assert.Equal(
        [
            "TrainBegin:0", "EpochBegin:0",
            "StepBegin:0", "SubstepEnd:0", "PreOptimizerStep:0", "OptimizerStep:0", "StepEnd:1",
            "StepBegin:1", "SubstepEnd:1", "PreOptimizerStep:1", "OptimizerStep:1", "StepEnd:2",
            "StepBegin:2", "PreOptimizerStep:2", "OptimizerStep:2", "StepEnd:3",
            "EpochEnd:0", "Log:3:train_runtime", "TrainEnd",
        ], trainer.Events);
    }

    [Fact]
    public void Backward_runs_on_every_micro_batch_as_DSL031_says_not_once_per_optimizer_step()
    {
        using var temp = new TempDirectory();
        // GA 3: windows of three micro-batches; [OnSubstepEnd] follows the backward of the first two of each.
        var args = Args.Quiet(temp.Path) with { GradientAccumulationSteps = 3, PerDeviceTrainBatchSize = 4, MaxSteps = 2, MaxGradNorm = 0 };
        var trainer = new HookPointTrainer(TinyNet.Create(), args) { Inspect = true };
        trainer.Train(SampleData.Make(24));

        var norms = trainer.GradNormsAtSubstepEnd;
        Assert.Equal(4, norms.Count);
        Assert.True(norms[0] > 0, "no gradient after the first micro-batch: backward did not run for it");
        Assert.NotEqual(norms[0], norms[1]);   // the second micro-batch's backward added to them
        Assert.True(norms[2] > 0, "zero_grad cleared the gradients; the next window's first backward must fill them again");
    }

    [Fact]
    public void PreOptimizerStep_sees_the_clipped_gradients_and_OptimizerStep_the_updated_weights_before_zero_grad()
    {
        using var temp = new TempDirectory();
        // HF: on_pre_optimizer_step comes after clip_grad_norm_, on_optimizer_step before zero_grad.
        var args = Args.Quiet(temp.Path) with { MaxGradNorm = 0.01, MaxSteps = 3 };
        var trainer = new HookPointTrainer(TinyNet.Create(), args) { Inspect = true };
        trainer.Train(SampleData.Make(64));

        Assert.Equal(3, trainer.GradNormsBeforeStep.Count);
        foreach (double norm in trainer.GradNormsBeforeStep) Assert.InRange(norm, 0.0099, 0.0101);
        Assert.Equal(3, trainer.WeightChangesAtOptimizerStep.Count);
        foreach (double change in trainer.WeightChangesAtOptimizerStep) Assert.True(change > 0, "optimizer.step() ran before [OnOptimizerStep]");
        foreach (double norm in trainer.GradNormsAfterStep) Assert.InRange(norm, 0.0099, 0.0101);   // not cleared yet
    }

    [Fact]
    public void A_request_from_OnStepBegin_is_acted_on_at_that_steps_end()
    {
        using var temp = new TempDirectory();
        var trainer = new HookPointTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { MaxSteps = 4 });
        trainer.SaveFromStepBegin = 2;   // GlobalStep 2 at the start of the third step
        trainer.Train(SampleData.Make(64));
        Assert.Contains("Save:3", trainer.Events);
        Assert.Single(trainer.Events, e => e.StartsWith("Save:", StringComparison.Ordinal));
        Assert.True(Directory.Exists(temp["checkpoint-3"]));
    }

    [Fact]
    public void A_resumed_run_begins_with_its_checkpoints_step_in_the_checkpoints_epoch()
    {
        using var temp = new TempDirectory();
        // 2 steps an epoch; the checkpoint at step 3 is one step into the second epoch.
        var args = Args.Quiet(temp.Path) with { NumTrainEpochs = 2, SaveStrategy = SaveStrategy.Steps, SaveSteps = 3 };
        new HookPointTrainer(TinyNet.Create(), args).Train(SampleData.Make(16));

        var resumed = new HookPointTrainer(TinyNet.Create(), args);
        resumed.Train(SampleData.Make(16), resumeFromCheckpoint: Path.Combine(temp.Path, "checkpoint-3"));
        Assert.Equal(["TrainBegin:3", "EpochBegin:1", "StepBegin:3", "PreOptimizerStep:3", "OptimizerStep:3", "StepEnd:4"],
            resumed.Events.Take(6));
    }

    [Fact]
    public void PredictionStep_fires_once_per_batch_in_Predict_outside_training()
    {
        using var temp = new TempDirectory();
        var trainer = new HookPointTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { PerDeviceEvalBatchSize = 8 });
        using var output = trainer.Predict(SampleData.Make(20));   // 8 + 8 + 4
        Assert.Equal(["PredictionStep:0", "PredictionStep:1", "PredictionStep:2"], trainer.Events);
    }
}

/// <summary>Every new hook point, recording where it fires; optionally reads gradients and weights.</summary>
[Trainer]
public partial class HookPointTrainer(TinyNet model, TrainingArguments args)
{
    public List<string> Events { get; } = [];
    public bool Inspect { get; init; }
    public int SaveFromStepBegin { get; set; } = -1;
    public List<double> GradNormsBeforeStep { get; } = [];
    public List<double> GradNormsAfterStep { get; } = [];
    public List<double> WeightChangesAtOptimizerStep { get; } = [];
    private float[]? _before;

    [TrainStep]
    Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);

    [OnTrainBegin] void TrainBegan(TrainBeginEvent e) => Events.Add($"TrainBegin:{e.State.GlobalStep}");

    [OnEpochBegin] void EpochBegan(EpochBeginEvent e) => Events.Add($"EpochBegin:{e.Epoch}");

    [OnStepBegin]
    TrainerControl StepBegan(StepBeginEvent e)
    {
        Events.Add($"StepBegin:{e.GlobalStep}");
        return e.GlobalStep == SaveFromStepBegin ? TrainerControl.Save : TrainerControl.None;
    }

    public List<double> GradNormsAtSubstepEnd { get; } = [];

    [OnSubstepEnd]
    void SubstepEnded(SubstepEndEvent e)
    {
        Events.Add($"SubstepEnd:{e.State.GlobalStep}");
        if (Inspect) GradNormsAtSubstepEnd.Add(GradNorm());
    }

    [OnPreOptimizerStep]
    void BeforeOptimizer(PreOptimizerStepEvent e)
    {
        Events.Add($"PreOptimizerStep:{e.State.GlobalStep}");
        if (!Inspect) return;
        GradNormsBeforeStep.Add(GradNorm());
        _before = Weights();
    }

    [OnOptimizerStep]
    void AfterOptimizer(OptimizerStepEvent e)
    {
        Events.Add($"OptimizerStep:{e.State.GlobalStep}");
        if (!Inspect) return;
        var after = Weights();
        double change = 0;
        for (int i = 0; i < after.Length; i++) change += Math.Abs(after[i] - _before![i]);
        WeightChangesAtOptimizerStep.Add(change);
        GradNormsAfterStep.Add(GradNorm());
    }

    [OnStepEnd] void StepEnded(StepEndEvent e) => Events.Add($"StepEnd:{e.GlobalStep}");

    [OnLog]
    void Logged(LogEvent e) => Events.Add($"Log:{e.Step}:{(e.Loss is null ? e.Logs.Keys.First(k => k.StartsWith("eval_") || k.StartsWith("train_")) : "loss")}");

    [OnPredictionStep] void Predicted(PredictionStepEvent e) => Events.Add($"PredictionStep:{e.Batch}");

    [OnEvaluate] void Evaluated(EvaluateEvent e) => Events.Add($"Evaluate:{e.State.GlobalStep}");

    [OnSave] void Saved(SaveEvent e) => Events.Add($"Save:{e.State.GlobalStep}");

    [OnEpochEnd] void EpochEnded(EpochEndEvent e) => Events.Add($"EpochEnd:{e.Epoch}");

    [OnTrainEnd] void TrainEnded() => Events.Add("TrainEnd");

    private double GradNorm()
    {
        using var scope = torch.NewDisposeScope();
        double sum = 0;
        foreach (var p in model.parameters())
            if (p.grad is { } g) sum += g.pow(2).sum().item<float>();
        return Math.Sqrt(sum);
    }

    private float[] Weights()
    {
        using var scope = torch.NewDisposeScope();
        return model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();
    }
}
