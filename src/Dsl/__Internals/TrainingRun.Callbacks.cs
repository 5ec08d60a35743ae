using System.Text.Json.Nodes;
using Dsl.Checkpoints;

namespace Dsl.__Internals;

// Early stopping (HF's EarlyStoppingCallback) and the state of stateful callbacks that checkpoints carry
// (HF's stateful_callbacks in trainer_state.json, restored on resume).
public abstract partial class TrainingRun
{
    private const string EarlyStoppingName = "EarlyStoppingCallback";
    private const string ControlName = "TrainerControl";
    private int _earlyStoppingCounter;
    private IHookState? _hookState;

    /// <summary>Evaluations in a row without an improvement, as early stopping counts them (HF's <c>early_stopping_patience_counter</c>).</summary>
    public int EarlyStoppingPatienceCounter => _earlyStoppingCounter;

    /// <summary>
    /// Saves <paramref name="hooks"/>' state in every checkpoint under its class name and restores it on resume.
    /// Call before <see cref="Prepare"/>.
    /// </summary>
    public void TrackHookState(IHookState hooks)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        _hookState = hooks;
    }

    private void StartEarlyStopping()
    {
        Args.ValidateEarlyStopping();
        // HF's EarlyStoppingCallback.on_train_begin warns about this, and so do we.
        if (Args.EarlyStoppingPatience is not null && !Args.LoadBestModelAtEnd)
            Warn("EarlyStoppingPatience is set without LoadBestModelAtEnd: once training stops, the model is the last one, not the best.");
    }

    /// <summary>
    /// HF's <c>EarlyStoppingCallback.on_evaluate</c>, called before the best metric is updated: an evaluation
    /// improves when there is no best yet, or when it is better than the best by more than the threshold;
    /// otherwise the counter grows, and at the patience training stops (after this step's save).
    /// </summary>
    private void CheckEarlyStopping(double value, bool greaterIsBetter)
    {
        if (Args.EarlyStoppingPatience is not { } patience) return;
        bool improved = State.BestMetric is not { } best
            || ((greaterIsBetter ? value > best : value < best) && Math.Abs(value - best) > Args.EarlyStoppingThreshold);
        _earlyStoppingCounter = improved ? 0 : _earlyStoppingCounter + 1;
        if (_earlyStoppingCounter >= patience) _control |= TrainerControl.StopTraining;
    }

    /// <summary>Puts the callbacks' state into <see cref="State"/> before a checkpoint is written (HF's <c>stateful_callbacks</c>).</summary>
    private void CollectCallbackStates()
    {
        var callbacks = State.StatefulCallbacks;
        callbacks.Clear();
        if (Args.EarlyStoppingPatience is { } patience)
            callbacks[EarlyStoppingName] = new JsonObject
            {
                ["args"] = new JsonObject { ["early_stopping_patience"] = patience, ["early_stopping_threshold"] = Args.EarlyStoppingThreshold },
                ["attributes"] = new JsonObject { ["early_stopping_patience_counter"] = _earlyStoppingCounter },
            };
        callbacks[ControlName] = new JsonObject
        {
            ["args"] = new JsonObject
            {
                ["should_epoch_stop"] = (_control & TrainerControl.StopEpoch) != 0,
                ["should_evaluate"] = (_control & TrainerControl.Evaluate) != 0,
                ["should_log"] = (_control & TrainerControl.Log) != 0,
                ["should_save"] = (_control & TrainerControl.Save) != 0,
                ["should_training_stop"] = (_control & TrainerControl.StopTraining) != 0,
            },
            ["attributes"] = new JsonObject(),
        };
        if (_hookState is not null)
            callbacks[_hookState.GetType().Name] = new JsonObject
            {
                ["args"] = new JsonObject(),
                ["attributes"] = _hookState.SaveHookState() ?? throw new InvalidOperationException(
                    $"{_hookState.GetType().Name}.SaveHookState returned null; return a JsonObject (empty when there is nothing to save)."),
            };
    }

    /// <summary>
    /// Restores the callbacks' state from a checkpoint (HF's <c>restore_callback_states_from_checkpoint</c>).
    /// A state the checkpoint has but this run does not use is ignored with a warning, as HF does.
    /// </summary>
    private void RestoreCallbackStates(TrainerState saved, string dir)
    {
        if (!Args.RestoreCallbackStatesFromCheckpoint) return;
        var unused = new List<string>();
        foreach (var (name, callback) in saved.StatefulCallbacks)
        {
            var attributes = callback["attributes"] as JsonObject;
            if (name == ControlName) continue;   // HF restores the flags, then clears them at train and step begin: nothing is left
            if (name == EarlyStoppingName && Args.EarlyStoppingPatience is not null)
                _earlyStoppingCounter = ReadCounter(attributes, dir);
            else if (_hookState is not null && name == _hookState.GetType().Name)
                _hookState.LoadHookState(attributes ?? new JsonObject());
            else
                unused.Add(name);
        }
        if (unused.Count > 0)
            Warn($"{dir} holds the state of {string.Join(", ", unused)}, which this run does not use; ignored.");
    }

    private static int ReadCounter(JsonObject? attributes, string dir)
    {
        try { return attributes?["early_stopping_patience_counter"]?.GetValue<int>() ?? 0; }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new InvalidDataException(
                $"{Path.Combine(dir, Checkpoint.StateFile)}: 'stateful_callbacks.{EarlyStoppingName}.attributes.early_stopping_patience_counter' " +
                $"is {attributes?["early_stopping_patience_counter"]?.ToJsonString()}, expected an integer.", e);
        }
    }
}
