using System.Text.Json.Nodes;
using Dsl.__Internals;
using Dsl.Checkpoints;

namespace Dsl.Training;

/// <summary>
/// HF's <c>stateful_callbacks</c> in <c>trainer_state.json</c>: what the flow (early stopping, the
/// loop's flags) and a trainer implementing <see cref="IHookState"/> save in each checkpoint, and what
/// a resumed run restores. Pure: JSON in and out.
/// </summary>
internal static class CallbackStates
{
    /// <summary>Puts every callback's state into <paramref name="state"/> before a checkpoint is written.</summary>
    public static void Collect(TrainerState state, TrainingFlow flow, IHookState? hooks)
    {
        var callbacks = state.StatefulCallbacks;
        callbacks.Clear();
        flow.SaveStates(callbacks);
        if (hooks is null) return;
        callbacks[hooks.GetType().Name] = new JsonObject
        {
            ["args"] = new JsonObject(),
            ["attributes"] = hooks.SaveHookState() ?? throw new InvalidOperationException(
                $"{hooks.GetType().Name}.SaveHookState returned null; return a JsonObject (empty when there is nothing to save)."),
        };
    }

    /// <summary>
    /// Restores the callbacks' state from <paramref name="saved"/> (HF's <c>restore_callback_states_from_checkpoint</c>)
    /// and returns the names of states this run does not use, which HF ignores with a warning.
    /// </summary>
    public static List<string> Restore(TrainerState saved, string dir, TrainingFlow flow, IHookState? hooks)
    {
        var unused = new List<string>();
        foreach (var (name, callback) in saved.StatefulCallbacks)
        {
            var attributes = callback["attributes"] as JsonObject;
            if (name == TrainingFlow.StateName) continue;   // HF restores the flags, then clears them at train and step begin: nothing is left
            if (name == EarlyStopping.StateName && flow.UsesEarlyStopping)
                flow.RestoreEarlyStopping(ReadCounter(attributes, dir));
            else if (hooks is not null && name == hooks.GetType().Name)
                hooks.LoadHookState(attributes ?? new JsonObject());
            else
                unused.Add(name);
        }
        return unused;
    }

    private static int ReadCounter(JsonObject? attributes, string dir)
    {
        try { return attributes?["early_stopping_patience_counter"]?.GetValue<int>() ?? 0; }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new InvalidDataException(
                $"{Path.Combine(dir, Checkpoint.StateFile)}: 'stateful_callbacks.{EarlyStopping.StateName}.attributes.early_stopping_patience_counter' " +
                $"is {attributes?["early_stopping_patience_counter"]?.ToJsonString()}, expected an integer.", e);
        }
    }
}
