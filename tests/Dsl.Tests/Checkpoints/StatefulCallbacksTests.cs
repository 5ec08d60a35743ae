using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Checkpoints;

/// <summary>
/// A trainer's hook state in <c>trainer_state.json</c>'s <c>stateful_callbacks</c> (HF's <c>ExportableState</c>;
/// tests/trainer/test_trainer_callback.py, <c>test_stateful_callbacks</c> and <c>test_missing_stateful_callback</c>).
/// </summary>
[Collection(TorchState.Name)]
public sealed class StatefulCallbacksTests
{
    private static TrainingArguments Saving(string dir) => Args.Quiet(dir) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, MaxSteps = 6 };

    [Fact]
    public void Stateful_callbacks_save_an_IHookState_trainers_state_under_its_class_name()
    {
        using var temp = new TempDirectory();
        new CountingTrainer(TinyNet.Create(), Saving(temp.Path)).Train(SampleData.Make(64));

        var state = TrainerState.Load(Path.Combine(Checkpoint.PathFor(temp.Path, 4), Checkpoint.StateFile));
        var counting = state.StatefulCallbacks[nameof(CountingTrainer)];
        Assert.Equal(4, counting["attributes"]!["steps_seen"]!.GetValue<int>());
        Assert.Empty(counting["args"]!.AsObject());
    }

    [Fact]
    public void Stateful_callbacks_restore_an_IHookState_trainers_state_on_resume()
    {
        using var temp = new TempDirectory();
        var full = new CountingTrainer(TinyNet.Create(), Saving(temp.Path));
        full.Train(SampleData.Make(64));
        Assert.Equal(6, full.StepsSeen);

        var resumed = new CountingTrainer(TinyNet.Create(), Saving(temp.Path));
        resumed.Train(SampleData.Make(64), resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, 2));
        Assert.Equal(2, resumed.LoadedFrom);
        Assert.Equal(6, resumed.StepsSeen);   // 2 restored + 4 trained
    }

    [Fact]
    public void Stateful_callbacks_missing_from_this_run_are_ignored_with_a_warning()
    {
        using var temp = new TempDirectory();
        new CountingTrainer(TinyNet.Create(), Saving(temp.Path)).Train(SampleData.Make(64));

        // A trainer without IHookState resumes the checkpoint: HF warns and ignores the unknown state.
        var plain = new DefaultsTrainer(TinyNet.Create(), Saving(temp.Path) with { ReportTo = ["console"] });
        string errors = ConsoleCapture.Errors(() => plain.Train(SampleData.Make(64), resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, 2)));
        Assert.Contains($"holds the state of {nameof(CountingTrainer)}, which this run does not use; ignored", errors);
        Assert.Equal(6, plain.State.GlobalStep);
    }

    [Fact]
    public void Stateful_callbacks_that_are_not_objects_are_refused_naming_the_file()
    {
        using var temp = new TempDirectory();
        string path = temp["trainer_state.json"];
        File.WriteAllText(path, """{"global_step": 2, "stateful_callbacks": {"EarlyStoppingCallback": 3}}""");
        var e = Assert.Throws<InvalidDataException>(() => TrainerState.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("stateful_callbacks.EarlyStoppingCallback", e.Message);
    }
}

/// <summary>Counts optimizer steps in a hook; the count survives a resume through <see cref="IHookState"/>.</summary>
[Trainer]
public partial class CountingTrainer(TinyNet model, TrainingArguments args) : IHookState
{
    public int StepsSeen { get; private set; }
    public int LoadedFrom { get; private set; } = -1;

    [TrainStep]
    Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);

    [OnStepEnd]
    void Count() => StepsSeen++;

    public JsonObject SaveHookState() => new() { ["steps_seen"] = StepsSeen };

    public void LoadHookState(JsonObject state)
    {
        StepsSeen = state["steps_seen"]!.GetValue<int>();
        LoadedFrom = StepsSeen;
    }
}
