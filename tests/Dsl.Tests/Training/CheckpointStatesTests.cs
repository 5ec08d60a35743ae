using System.Text.Json.Nodes;
using Dsl.__Internals;
using Dsl.Tests.Support;
using Dsl.Training;

namespace Dsl.Tests.Training;

/// <summary>What a checkpoint carries besides tensors, on plain objects: callback states and the settings warning.</summary>
public sealed class CheckpointStatesTests
{
    private sealed class Counter : IHookState
    {
        public int Seen { get; set; }
        public JsonObject SaveHookState() => new() { ["seen"] = Seen };
        public void LoadHookState(JsonObject state) => Seen = state["seen"]!.GetValue<int>();
    }

    private static TrainerState Parse(string json)
    {
        using var temp = new TempDirectory();
        string path = Path.Combine(temp.Path, "trainer_state.json");
        File.WriteAllText(path, json);
        return TrainerState.Load(path);
    }

    [Fact]
    public void Early_stopping_the_flags_and_a_hooks_state_round_trip()
    {
        var args = new TrainingArguments { EvalStrategy = IntervalStrategy.Steps, MetricForBestModel = "loss", EarlyStoppingPatience = 3 };
        var flow = new TrainingFlow(args);
        var state = new TrainerState();
        flow.ObserveMetric(1.0, state);
        state.BestMetric = 1.0;
        flow.ObserveMetric(2.0, state);
        flow.Request(TrainerControl.Save);
        CallbackStates.Collect(state, flow, new Counter { Seen = 4 });
        Assert.Equal(1, state.StatefulCallbacks["EarlyStoppingCallback"]["attributes"]!["early_stopping_patience_counter"]!.GetValue<int>());
        Assert.True(state.StatefulCallbacks["TrainerControl"]["args"]!["should_save"]!.GetValue<bool>());

        var saved = Parse(state.ToJsonString());
        var restoredFlow = new TrainingFlow(args);
        var hooks = new Counter();
        Assert.Empty(CallbackStates.Restore(saved, "checkpoint-1", restoredFlow, hooks));
        Assert.Equal((1, 4), (restoredFlow.EarlyStoppingPatienceCounter, hooks.Seen));
    }

    [Fact]
    public void States_this_run_does_not_use_are_named()
    {
        var state = new TrainerState();
        CallbackStates.Collect(state, new TrainingFlow(new TrainingArguments { EvalStrategy = IntervalStrategy.Steps, MetricForBestModel = "loss", EarlyStoppingPatience = 1 }), new Counter());
        var saved = Parse(state.ToJsonString());
        Assert.Equal(["Counter", "EarlyStoppingCallback"], CallbackStates.Restore(saved, "dir", new TrainingFlow(new TrainingArguments()), hooks: null).Order());
    }

    [Fact]
    public void A_malformed_counter_names_the_file_and_the_key()
    {
        var saved = Parse("""{"global_step": 1, "stateful_callbacks": {"EarlyStoppingCallback": {"args": {}, "attributes": {"early_stopping_patience_counter": "x"}}}}""");
        var flow = new TrainingFlow(new TrainingArguments { EvalStrategy = IntervalStrategy.Steps, MetricForBestModel = "loss", EarlyStoppingPatience = 1 });
        var e = Assert.Throws<InvalidDataException>(() => CallbackStates.Restore(saved, "ckpt", flow, hooks: null));
        Assert.Contains("early_stopping_patience_counter", e.Message);
        Assert.Contains(Path.Combine("ckpt", "trainer_state.json") + ": 'stateful_callbacks.EarlyStoppingCallback", e.Message);
    }

    [Fact]
    public void Changed_settings_are_listed_in_HFs_words()
    {
        var now = new TrainerState { LoggingSteps = 5, EvalSteps = 500, SaveSteps = 500, TrainBatchSize = 8 };
        var saved = new TrainerState { LoggingSteps = 10, EvalSteps = 500, SaveSteps = 500, TrainBatchSize = 8 };
        string? warning = SettingsComparison.Compare(now, saved, accumulationNow: 2, accumulationSaved: 4, "out/checkpoint-3");
        Assert.Equal("these settings differ from the checkpoint out/checkpoint-3 (the new values apply):\n" +
                     "\tlogging_steps: 5 (from args) != 10 (from trainer_state.json)\n" +
                     "\tgradient_accumulation_steps: 2 (from args) != 4 (from training_args.json)", warning);
        Assert.Null(SettingsComparison.Compare(now, now, 2, null, "x"));
    }
}
