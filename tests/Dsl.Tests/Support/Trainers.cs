using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl.Tests.Support;

/// <summary>AdamW + linear schedule; records every micro-batch loss (a host sync, fine in a test).</summary>
[Trainer]
public partial class ParityTrainer(TinyNet model, TrainingArguments args)
{
    public List<float> Losses { get; } = [];
    public LambdaSchedule? Schedule { get; private set; }
    public Optimizer? Optimizer { get; private set; }

    [Optimizer]
    Optimizer CreateOptimizer() => Optimizer = AdamW(model.parameters(), lr: args.LearningRate);

    [Scheduler]
    LRScheduler CreateScheduler(Optimizer optimizer, int trainingSteps) =>
        Schedule = Schedules.Linear(optimizer, args.WarmupSteps, trainingSteps);

    [TrainStep]
    Tensor Step(SampleBatch batch)
    {
        var loss = nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
#pragma warning disable DSL101 // a host sync per step, on purpose: the parity tests compare every micro-batch loss
        Losses.Add(loss.item<float>());
#pragma warning restore DSL101
        return loss;
    }
}

/// <summary>Nothing but a step: the default optimizer and schedule come from the arguments.</summary>
[Trainer]
public partial class DefaultsTrainer(TinyNet model, TrainingArguments args)
{
    [TrainStep]
    Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
}

/// <summary>An eval step with logits and labels, and an accuracy metric.</summary>
[Trainer]
public partial class MetricTrainer
{
    private readonly TinyNet _model;
    private readonly TrainingArguments _args;

    public MetricTrainer(TinyNet model, TrainingArguments args)
    {
        _model = model;
        _args = args;
    }

    /// <summary>Live tensors seen by the eval step, per batch.</summary>
    public List<long> LiveTensorsPerEvalBatch { get; } = [];

    [TrainStep]
    StepOutput Step(SampleBatch batch)
    {
        var logits = _model.forward(batch.X);
        return new StepOutput(nn.functional.cross_entropy(logits, batch.Y), logits, batch.Y);
    }

    [EvalStep]
    StepOutput Validate(SampleBatch batch)
    {
        LiveTensorsPerEvalBatch.Add(OwnTensors.Current?.Live ?? torch.Tensor.TotalCount);
        var logits = _model.forward(batch.X);
        return new StepOutput(nn.functional.cross_entropy(logits, batch.Y), logits, batch.Y);
    }

    [Metric]
    double Accuracy(Tensor predictions, Tensor labels) =>
        predictions.argmax(-1).eq(labels).to(ScalarType.Float32).mean().item<float>();
}

/// <summary>Every hook, recording the order they fire in; can stop at a step.</summary>
[Trainer]
public partial class HookTrainer(TinyNet model, TrainingArguments args)
{
    public List<string> Events { get; } = [];
    public int StopAtStep { get; set; } = -1;
    public int RequestAtStep { get; set; } = -1;
    public TrainerControl Request { get; set; }
    public List<long> LiveTensorsAtStepEnd { get; } = [];

    [TrainStep]
    Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);

    [OnStepEnd]
    TrainerControl StepEnded(StepEndEvent e)
    {
        Events.Add($"StepEnd:{e.GlobalStep}");
        LiveTensorsAtStepEnd.Add(OwnTensors.Current?.Live ?? torch.Tensor.TotalCount);
        if (e.GlobalStep == RequestAtStep) return Request;
        return e.GlobalStep == StopAtStep ? TrainerControl.StopTraining : TrainerControl.None;
    }

    [OnLog]
    void Logged(LogEvent e) => Events.Add($"Log:{e.Step}:{(e.Loss is null ? string.Join(",", e.Logs.Keys.Where(k => k.StartsWith("eval_") || k.StartsWith("train_")).Take(1)) : "loss")}");

    [OnEvaluate]
    void Evaluated(EvaluateEvent e) => Events.Add($"Evaluate:{e.State.GlobalStep}");

    [OnSave]
    void Saved(SaveEvent e) => Events.Add($"Save:{e.State.GlobalStep}:{Path.GetFileName(e.CheckpointDirectory)}");

    [OnEpochEnd]
    void EpochEnded(EpochEndEvent e) => Events.Add($"EpochEnd:{e.Epoch}");

    [OnTrainEnd]
    void TrainEnded() => Events.Add("TrainEnd");
}

/// <summary>An eval loss scripted per global step, to steer which checkpoint is best.</summary>
[Trainer]
public partial class ScriptedEvalTrainer(TinyNet model, TrainingArguments args)
{
    public Dictionary<int, float> EvalLossAtStep { get; } = [];

    [TrainStep]
    Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);

    [EvalStep]
    Tensor Validate(SampleBatch batch) => torch.tensor(EvalLossAtStep.GetValueOrDefault(State.GlobalStep, 1f));
}

/// <summary>Every hook kind twice: once returning void, once returning TrainerControl (None).</summary>
[Trainer]
public partial class BothHookShapesTrainer(TinyNet model, TrainingArguments args)
{
    public List<string> Events { get; } = [];

    [TrainStep]
    Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);

    [OnStepEnd] void StepVoid(StepEndEvent e) => Events.Add("StepEnd:void");
    [OnStepEnd] TrainerControl StepControl(StepEndEvent e) { Events.Add("StepEnd:control"); return TrainerControl.None; }
    [OnLog] void LogVoid(LogEvent e) => Events.Add("Log:void");
    [OnLog] TrainerControl LogControl(LogEvent e) { Events.Add("Log:control"); return TrainerControl.None; }
    [OnEvaluate] void EvaluateVoid(EvaluateEvent e) => Events.Add("Evaluate:void");
    [OnEvaluate] TrainerControl EvaluateControl(EvaluateEvent e) { Events.Add("Evaluate:control"); return TrainerControl.None; }
    [OnSave] void SaveVoid(SaveEvent e) => Events.Add("Save:void");
    [OnSave] TrainerControl SaveControl(SaveEvent e) { Events.Add("Save:control"); return TrainerControl.None; }
    [OnEpochEnd] void EpochVoid(EpochEndEvent e) => Events.Add("EpochEnd:void");
    [OnEpochEnd] TrainerControl EpochControl(EpochEndEvent e) { Events.Add("EpochEnd:control"); return TrainerControl.None; }
    [OnTrainEnd] void TrainEndVoid(TrainEndEvent e) => Events.Add("TrainEnd:void");
#pragma warning disable DSL050 // on purpose: a suppressed DSL050 leaves a hook the loop must still call
    [OnTrainEnd] TrainerControl TrainEndControl(TrainEndEvent e) { Events.Add("TrainEnd:control"); return TrainerControl.None; }
#pragma warning restore DSL050
}
