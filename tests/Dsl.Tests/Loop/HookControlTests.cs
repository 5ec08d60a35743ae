using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Loop;

/// <summary>
/// What DSL050 says, at run time: each request a hook returns where the loop has passed the point that reads it
/// changes nothing (the run's events are those of a run without it), while the same request from [OnStepEnd] is
/// acted on. One case per entry of HookControlAnalyzer.Dropped: if the loop changes, this says which entry is wrong.
/// </summary>
[Collection(TorchState.Name)]
public sealed class HookControlTests
{
    public static TheoryData<string, TrainerControl> DroppedRequests() => new()
    {
        { "TrainBegin", TrainerControl.Log }, { "TrainBegin", TrainerControl.Evaluate }, { "TrainBegin", TrainerControl.Save },
        { "TrainBegin", TrainerControl.StopEpoch },
        { "EpochBegin", TrainerControl.Log }, { "EpochBegin", TrainerControl.Evaluate }, { "EpochBegin", TrainerControl.Save },
        { "EpochEnd", TrainerControl.StopEpoch },
        { "Log", TrainerControl.Log },
        { "Evaluate", TrainerControl.Log }, { "Evaluate", TrainerControl.Evaluate },
        { "PredictionStep", TrainerControl.Log }, { "PredictionStep", TrainerControl.Evaluate },
        { "Save", TrainerControl.Log }, { "Save", TrainerControl.Evaluate }, { "Save", TrainerControl.Save },
    };

    private static List<string> Run(string? hook, TrainerControl request)
    {
        using var temp = new TempDirectory();
        // 5 steps an epoch, 2 epochs; log every 2 steps, evaluate every 3, save every 4.
        var args = Args.Quiet(temp.Path) with
        {
            NumTrainEpochs = 2, LoggingSteps = 2, EvalStrategy = IntervalStrategy.Steps, EvalSteps = 3,
            SaveStrategy = SaveStrategy.Steps, SaveSteps = 4, PerDeviceEvalBatchSize = 8,
        };
        var trainer = new ControlTrainer(TinyNet.Create(), args) { Hook = hook, Request = request };
        trainer.Train(SampleData.Make(40), SampleData.Make(16));
        return trainer.Events;
    }

    [Theory]
    [MemberData(nameof(DroppedRequests))]
    public void A_request_returned_where_the_loop_has_passed_its_point_changes_nothing(string hook, TrainerControl request)
    {
        var baseline = Run(null, TrainerControl.None);
        var requested = Run(hook, request);
        Assert.True(baseline.SequenceEqual(requested),
            $"[On{hook}] returning {request} changed the run, so DSL050 is wrong about it:\n  without: {string.Join(" ", baseline)}\n  with:    {string.Join(" ", requested)}");
    }

    [Theory]
    [InlineData(TrainerControl.Log)]
    [InlineData(TrainerControl.Evaluate)]
    [InlineData(TrainerControl.Save)]
    [InlineData(TrainerControl.StopEpoch)]
    public void The_same_request_from_OnStepEnd_is_acted_on(TrainerControl request) =>
        Assert.NotEqual(Run(null, TrainerControl.None), Run("StepEnd", request));
}

/// <summary>Returns <see cref="Request"/> from the hook named <see cref="Hook"/>; records what the loop did.</summary>
[Trainer]
public partial class ControlTrainer(TinyNet model, TrainingArguments args)
{
    public string? Hook { get; init; }
    public TrainerControl Request { get; init; }
    public List<string> Events { get; } = [];

    private TrainerControl Answer(string hook) => hook == Hook ? Request : TrainerControl.None;

    [TrainStep]
    Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);

    [OnTrainBegin] TrainerControl TrainBegan() => Answer("TrainBegin");
    [OnEpochBegin] TrainerControl EpochBegan(EpochBeginEvent e) { Events.Add($"Epoch:{e.Epoch}"); return Answer("EpochBegin"); }
    [OnStepEnd] TrainerControl StepEnded(StepEndEvent e) { Events.Add($"Step:{e.GlobalStep}"); return Answer("StepEnd"); }
    [OnLog] TrainerControl Logged(LogEvent e) { Events.Add($"Log:{e.Step}:{(e.Loss is null ? "other" : "loss")}"); return Answer("Log"); }
    [OnPredictionStep] TrainerControl Predicted() => Answer("PredictionStep");
    [OnEvaluate] TrainerControl Evaluated(EvaluateEvent e) { Events.Add($"Evaluate:{e.State.GlobalStep}"); return Answer("Evaluate"); }
    [OnSave] TrainerControl Saved(SaveEvent e) { Events.Add($"Save:{e.State.GlobalStep}"); return Answer("Save"); }
    [OnEpochEnd] TrainerControl EpochEnded() => Answer("EpochEnd");
}
