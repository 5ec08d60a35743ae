using System.ComponentModel;
using System.Text.Json.Nodes;
using Dsl.Training;

namespace Dsl.__Internals;

/// <summary>
/// What the loop does next: Hugging Face's <c>TrainerControl</c> and the rules of its
/// <c>DefaultFlowCallback</c> (when to log, evaluate, save and stop), early stopping and the best
/// metric. Each HF event has a method of the same name; hooks' requests come in through
/// <see cref="Request"/>; the loop takes each request once with a <c>Take…</c> method, as HF's event
/// handlers clear the flag they act on. Pure: no tensors, no files.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[Obsolete(Contract.Message, DiagnosticId = Contract.DiagnosticId)]
public sealed class TrainingFlow
{
    /// <summary>The loop's flags in <c>trainer_state.json</c>'s <c>stateful_callbacks</c>.</summary>
    internal const string StateName = "TrainerControl";

    private readonly TrainingArguments _args;
    private readonly EarlyStopping _earlyStopping;
    private TrainerControl _control;
    private bool _halted;
    private bool _preempted;

    internal TrainingFlow(TrainingArguments args)
    {
        _args = args;
        _earlyStopping = new EarlyStopping(args.EarlyStoppingPatience, args.EarlyStoppingThreshold);
    }

    /// <summary>The requests standing now.</summary>
    internal TrainerControl Control => _control;

    /// <summary>The current epoch ends after this step (or training stops).</summary>
    public bool StopsEpoch => (_control & (TrainerControl.StopEpoch | TrainerControl.StopTraining)) != 0;

    /// <summary>Training stops after this step's log, evaluation and save.</summary>
    public bool StopsTraining => (_control & TrainerControl.StopTraining) != 0;

    /// <summary>Adds what a hook returned.</summary>
    public void Request(TrainerControl control) => _control |= control;

    /// <summary>HF's <c>on_epoch_begin</c>: a new epoch clears the last one's stop request.</summary>
    public void OnEpochBegin() => _control &= ~TrainerControl.StopEpoch;

    /// <summary>
    /// HF's <c>on_step_begin</c>, at the first micro-batch of a window: clears log, evaluate and save, so what
    /// hooks ask for from here to the step's end (step begin, pre-optimizer, optimizer step, step end) is acted on.
    /// </summary>
    public void OnStepBegin() => _control &= TrainerControl.StopTraining | TrainerControl.StopEpoch;

    /// <summary>Takes a log request: true once per request.</summary>
    public bool TakeLogRequest() => Take(TrainerControl.Log);

    /// <summary>Takes an evaluation request: true once per request, never after a preemption signal (the save comes first).</summary>
    public bool TakeEvaluateRequest() => Take(TrainerControl.Evaluate) && !_preempted;

    /// <summary>Takes a save request: true once per request, never after the run was halted by a non-finite loss.</summary>
    public bool TakeSaveRequest() => Take(TrainerControl.Save) && !_halted;

    private bool Take(TrainerControl flag)
    {
        bool asked = (_control & flag) != 0;
        _control &= ~flag;
        return asked;
    }

    /// <summary>Whether a preemption signal stopped the run (see <see cref="Preempt"/>).</summary>
    internal bool Preempted => _preempted;

    /// <summary>
    /// Stops training after this step for a preemption signal (SIGTERM, SIGINT; <see cref="Checkpoints.Preemption"/>):
    /// the step is saved whatever SaveStrategy says, and nothing is evaluated, so the checkpoint is written as
    /// soon as possible within the scheduler's grace period.
    /// </summary>
    internal void Preempt()
    {
        _preempted = true;
        _control = (_control & ~TrainerControl.Evaluate) | TrainerControl.Save | TrainerControl.StopTraining;
    }

    /// <summary>Stops training for a failure: nothing is saved after this step.</summary>
    internal void Halt()
    {
        _halted = true;
        _control |= TrainerControl.StopTraining;
    }

    /// <summary>
    /// HF's <c>DefaultFlowCallback.on_step_end</c> once <paramref name="step"/> (of <paramref name="maxSteps"/>) is done:
    /// log every LoggingSteps (and the first step with LoggingFirstStep), evaluate every EvalSteps from
    /// EvalDelay on, save every SaveSteps, stop at the last step.
    /// </summary>
    internal void OnStepEnd(int step, int maxSteps, int loggingSteps, int evalSteps, int saveSteps)
    {
        if (step == 1 && _args.LoggingFirstStep) _control |= TrainerControl.Log;
        if (_args.LoggingStrategy == IntervalStrategy.Steps && step % loggingSteps == 0) _control |= TrainerControl.Log;
        if (_args.EvalStrategy == IntervalStrategy.Steps && step % evalSteps == 0 && _args.EvalDelay <= step)
            _control |= TrainerControl.Evaluate;
        if (_args.SaveStrategy == SaveStrategy.Steps && saveSteps > 0 && step % saveSteps == 0)
            _control |= TrainerControl.Save;
        if (step < maxSteps) return;
        _control |= TrainerControl.StopTraining;
        // HF: save at the end of training with SaveStrategy.Steps only. Epoch saves at the epoch's end,
        // which always follows; saving here too wrote one checkpoint twice and fired [OnSave] twice
        // (transformers issue #36203, fixed in DefaultFlowCallback.on_step_end).
        if (_args.SaveStrategy == SaveStrategy.Steps) _control |= TrainerControl.Save;
        // HF (transformers PR #44146): with EvalStrategy.Steps, the last step is evaluated even when it is
        // not a multiple of EvalSteps (when it is, the rule above already asked), so the last metrics
        // and the best checkpoint are current. EvalDelay still holds.
        if (_args.EvalStrategy == IntervalStrategy.Steps && _args.EvalDelay <= step) _control |= TrainerControl.Evaluate;
    }

    /// <summary>HF's <c>DefaultFlowCallback.on_epoch_end</c>: log, evaluate or save by epoch.</summary>
    internal void OnEpochEnd(double epoch)
    {
        _control &= TrainerControl.StopTraining | TrainerControl.StopEpoch;
        if (_preempted) return;   // the preempted step was saved already; the process ends without more work
        if (_args.LoggingStrategy == IntervalStrategy.Epoch) _control |= TrainerControl.Log;
        if (_args.EvalStrategy == IntervalStrategy.Epoch && _args.EvalDelay <= epoch) _control |= TrainerControl.Evaluate;
        if (_args.SaveStrategy == SaveStrategy.Epoch) _control |= TrainerControl.Save;
    }

    /// <summary>Evaluations in a row without an improvement, as early stopping counts them.</summary>
    internal int EarlyStoppingPatienceCounter => _earlyStopping.Counter;

    /// <summary>
    /// After an evaluation: early stopping looks at <paramref name="value"/> first (HF runs <c>on_evaluate</c>
    /// before <c>_determine_best_metric</c>), then the best metric is updated; with SaveStrategy.Best a new best
    /// asks for a save.
    /// </summary>
    internal MetricVerdict ObserveMetric(double value, TrainerState state)
    {
        bool greater = _args.ResolvedGreaterIsBetter;
        bool stops = _earlyStopping.Observe(value, state.BestMetric, greater) && !StopsTraining;
        if (stops) _control |= TrainerControl.StopTraining;
        double best = state.BestMetric ?? (greater ? double.NegativeInfinity : double.PositiveInfinity);
        bool newBest = greater ? value > best : value < best;
        if (newBest && _args.SaveStrategy == SaveStrategy.Best) _control |= TrainerControl.Save;
        return new MetricVerdict(newBest, stops);
    }

    /// <summary>What an evaluation's metric decided.</summary>
    /// <param name="NewBest">It is the best so far.</param>
    /// <param name="StopsEarly">Early stopping's patience ran out with it: training stops after this step.</param>
    internal readonly record struct MetricVerdict(bool NewBest, bool StopsEarly);

    /// <summary>The states this flow saves in <c>stateful_callbacks</c>: early stopping (when on) and the flags.</summary>
    internal void SaveStates(IDictionary<string, JsonObject> callbacks)
    {
        if (_earlyStopping.SaveState() is { } earlyStopping) callbacks[EarlyStopping.StateName] = earlyStopping;
        callbacks[StateName] = new JsonObject
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
    }

    /// <summary>Whether this run stops early (EarlyStoppingPatience is set).</summary>
    internal bool UsesEarlyStopping => _earlyStopping.Enabled;

    /// <summary>Restores early stopping's counter from a checkpoint (HF's <c>restore_callback_states_from_checkpoint</c>).</summary>
    internal void RestoreEarlyStopping(int counter) => _earlyStopping.Counter = counter;
}
