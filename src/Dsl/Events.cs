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
