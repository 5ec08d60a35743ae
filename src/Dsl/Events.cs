namespace Dsl;

/// <summary>Passed to <c>[OnStepEnd]</c> after every optimizer step.</summary>
/// <param name="State">The trainer state; <see cref="TrainerState.GlobalStep"/> counts this step.</param>
public readonly record struct StepEndEvent(TrainerState State)
{
    /// <summary>The optimizer steps done so far.</summary>
    public int GlobalStep => State.GlobalStep;

    /// <summary>The epoch, with the fraction done of the current one.</summary>
    public double Epoch => State.Epoch;
}

/// <summary>Passed to <c>[OnEpochEnd]</c> at the end of every epoch.</summary>
/// <param name="Epoch">The epoch that ended, counted from 0.</param>
/// <param name="State">The trainer state.</param>
public readonly record struct EpochEndEvent(int Epoch, TrainerState State);

/// <summary>Passed to <c>[OnLog]</c> for every log entry.</summary>
/// <param name="Logs">The entry: <c>loss</c>, <c>grad_norm</c>, <c>learning_rate</c>, <c>epoch</c> during training;
/// <c>eval_*</c> after an evaluation; <c>train_*</c> at the end.</param>
/// <param name="State">The trainer state.</param>
public readonly record struct LogEvent(LogEntry Logs, TrainerState State)
{
    /// <summary>The global step the entry belongs to.</summary>
    public int Step => Logs.Step;

    /// <summary>The logged training loss, or null when this entry has none.</summary>
    public double? Loss => Logs.TryGetValue("loss", out double loss) ? loss : null;
}

/// <summary>Passed to <c>[OnEvaluate]</c> after every evaluation.</summary>
/// <param name="Metrics">The metrics <c>Evaluate</c> returned.</param>
/// <param name="State">The trainer state.</param>
public readonly record struct EvaluateEvent(EvalResult Metrics, TrainerState State);

/// <summary>Passed to <c>[OnSave]</c> after a checkpoint is written.</summary>
/// <param name="CheckpointDirectory">The checkpoint's folder, <c>output_dir/checkpoint-{step}</c>.</param>
/// <param name="State">The trainer state.</param>
public readonly record struct SaveEvent(string CheckpointDirectory, TrainerState State);

/// <summary>Passed to <c>[OnTrainEnd]</c> once, when training ends.</summary>
/// <param name="Output">What <c>Train</c> returns.</param>
/// <param name="State">The trainer state.</param>
public readonly record struct TrainEndEvent(TrainOutput Output, TrainerState State);

/// <summary>Passed to <c>[OnTrainBegin]</c> once, after set-up (and a resume) and before the first epoch (HF's <c>on_train_begin</c>).</summary>
/// <param name="State">The trainer state; a resumed run's <see cref="TrainerState.GlobalStep"/> is its checkpoint's.</param>
public readonly record struct TrainBeginEvent(TrainerState State);

/// <summary>Passed to <c>[OnEpochBegin]</c> at the start of every epoch (HF's <c>on_epoch_begin</c>).</summary>
/// <param name="Epoch">The epoch that begins, counted from 0.</param>
/// <param name="State">The trainer state.</param>
public readonly record struct EpochBeginEvent(int Epoch, TrainerState State);

/// <summary>
/// Passed to <c>[OnStepBegin]</c> before the first micro-batch of every optimizer step (HF's
/// <c>on_step_begin</c>: with gradient accumulation, once per window, not once per batch).
/// </summary>
/// <param name="State">The trainer state; <see cref="TrainerState.GlobalStep"/> counts the steps done before this one.</param>
public readonly record struct StepBeginEvent(TrainerState State)
{
    /// <summary>The optimizer steps done before this one.</summary>
    public int GlobalStep => State.GlobalStep;
}

/// <summary>
/// Passed to <c>[OnSubstepEnd]</c> after the backward pass of every micro-batch that does not end its
/// gradient-accumulation window (HF's <c>on_substep_end</c>); the window's last batch gets the optimizer step instead.
/// </summary>
/// <param name="State">The trainer state.</param>
public readonly record struct SubstepEndEvent(TrainerState State);

/// <summary>
/// Passed to <c>[OnPreOptimizerStep]</c> after the gradients are clipped and before <c>optimizer.step()</c>
/// (HF's <c>on_pre_optimizer_step</c>): the gradients of the window are in the parameters' <c>grad</c>, to
/// inspect, clip further or add noise to.
/// </summary>
/// <param name="Optimizer">The optimizer about to step.</param>
/// <param name="State">The trainer state; <see cref="TrainerState.GlobalStep"/> does not count this step yet.</param>
public readonly record struct PreOptimizerStepEvent(TorchSharp.torch.optim.Optimizer Optimizer, TrainerState State);

/// <summary>
/// Passed to <c>[OnOptimizerStep]</c> right after <c>optimizer.step()</c>, before the schedule steps and the
/// gradients are cleared (HF's <c>on_optimizer_step</c>).
/// </summary>
/// <param name="Optimizer">The optimizer that stepped.</param>
/// <param name="State">The trainer state; <see cref="TrainerState.GlobalStep"/> does not count this step yet.</param>
public readonly record struct OptimizerStepEvent(TorchSharp.torch.optim.Optimizer Optimizer, TrainerState State);

/// <summary>Passed to <c>[OnPredictionStep]</c> after every batch of <c>Evaluate</c> and <c>Predict</c> (HF's <c>on_prediction_step</c>).</summary>
/// <param name="Batch">The batch just evaluated, counted from 0.</param>
/// <param name="State">The trainer state.</param>
public readonly record struct PredictionStepEvent(int Batch, TrainerState State);
