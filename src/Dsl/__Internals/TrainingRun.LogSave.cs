using Dsl.Checkpoints;
using Dsl.Logging;
using TorchSharp;

namespace Dsl.__Internals;

public abstract partial class TrainingRun
{
    /// <summary>
    /// The training log entry of this step (HF's <c>_maybe_log_save_evaluate</c>): <c>loss</c>, the
    /// mean per optimizer step since the last log rounded to 4 places; <c>grad_norm</c> of this step;
    /// <c>learning_rate</c> this step used; <c>epoch</c>. The only place the loop waits for the device.
    /// Returns null when nothing was trained since the last log.
    /// </summary>
    public LogEntry? LogTrainingLoss()
    {
        _control &= ~TrainerControl.Log;
        int step = State.GlobalStep;
        if (step <= _lastLoggedStep) return null;

        double loss = AveragedOverRanks(TakeRunningLoss());
        StoreTokensAndFlos();
        var entry = new LogEntry(step);
        entry.Set("loss", PythonFloat.Round(loss / (step - _lastLoggedStep), 4));
        if (_hasGradNorm)
        {
            double gradNorm = _onHost ? _hostGradNorm : Tensors.ReadFloat(_gradNorm!);
            entry.Set("grad_norm", gradNorm);
            ObserveLogEntry(gradNorm);
        }
        entry.Set("learning_rate", _learningRate);
        entry.Set("epoch", State.Epoch);
        _totalLoss += loss;
        _lastLoggedStep = step;
        return entry;
    }

    /// <summary>The evaluation dataset passed to Train; an evaluation asked for without one is a clear error.</summary>
    public IReadOnlyList<T> EvaluationSet<T>(IReadOnlyList<T>? dataset) => dataset ?? throw new InvalidOperationException(
        "An evaluation was asked for (by EvalStrategy or a hook returning TrainerControl.Evaluate) but Train got no evalDataset.");

    /// <summary>
    /// Takes an evaluation's metrics: tracks the best <c>MetricForBestModel</c> (HF's
    /// <c>_determine_best_metric</c>) and, with <see cref="SaveStrategy.Best"/>, saves on a new best.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The metric is not among the evaluation's keys.</exception>
    public void ObserveEvaluation(EvalResult metrics)
    {
        _control &= ~TrainerControl.Evaluate;
        string? metric = Args.ResolvedMetricForBestModel;
        if (metric is null) return;
        if (!metrics.TryGetValue(metric, out double value))
            throw new KeyNotFoundException(
                $"TrainingArguments.MetricForBestModel is '{metric}', which is not among the evaluation metrics " +
                $"({string.Join(", ", metrics.Keys)}). Declare a [Metric] with that name or change MetricForBestModel.");
        bool greater = Args.ResolvedGreaterIsBetter;
        CheckEarlyStopping(value, greater);   // HF: on_evaluate (early stopping) runs before _determine_best_metric
        double best = State.BestMetric ?? (greater ? double.NegativeInfinity : double.PositiveInfinity);
        if (greater ? value > best : value < best)
        {
            State.BestMetric = value;
            State.BestGlobalStep = State.GlobalStep;
            if (Args.SaveStrategy == SaveStrategy.Best) _control |= TrainerControl.Save;
        }
    }

    /// <summary>
    /// Writes <c>checkpoint-{GlobalStep}</c> and rotates old ones (never the best). A second save at
    /// the same step (a hook asking again at the epoch's end) only rewrites <c>trainer_state.json</c>.
    /// </summary>
    public string SaveCheckpoint()
    {
        _control &= ~TrainerControl.Save;
        string dir = Checkpoint.PathFor(Args.OutputDir, State.GlobalStep);
        if (State.BestGlobalStep == State.GlobalStep) State.BestModelCheckpoint = dir;
        else if (State.BestGlobalStep is { } bestStep && Directory.Exists(Checkpoint.PathFor(Args.OutputDir, bestStep)))
            State.BestModelCheckpoint = Checkpoint.PathFor(Args.OutputDir, bestStep);

        StoreTokensAndFlos();
        CollectCallbackStates();
        var rngStates = GatherRngStates();   // null when training alone
        if (IsMainProcess) WriteCheckpoint(dir, rngStates);
        _lastCheckpoint = dir;
        AfterSave(dir);
        return dir;
    }

    private void WriteCheckpoint(string dir, byte[][]? rngStates)
    {
        if (_lastCheckpoint == dir && Directory.Exists(dir))
        {
            Checkpoint.UpdateState(dir, State);
            return;
        }
        Directory.CreateDirectory(Args.OutputDir);
        bool full = !Args.SaveOnlyModel;
        State.LossScaler = _precision?.ScalerState;
        using (_precision?.ShowMasters())   // mixed precision: the float32 masters, not the working copies
            Checkpoint.Save(Args.OutputDir, Model, full ? _optimizer : null, full ? _scheduler : null, State, Args, rngStates);
        Checkpoint.Rotate(Args.OutputDir, Args.SaveTotalLimit, State.BestModelCheckpoint);
    }

    /// <summary>
    /// Ends training: loads the best model when asked, leaves only the best checkpoint when
    /// <c>SaveTotalLimit</c> is 1, and builds HF's summary (<c>train_runtime</c>,
    /// <c>train_samples_per_second</c>, <c>train_steps_per_second</c>, <c>train_loss</c>, <c>epoch</c>).
    /// </summary>
    public (TrainOutput Output, LogEntry Summary) Finish()
    {
        if (_stopped is not null) throw _stopped;
        double seconds = _clock.Elapsed.TotalSeconds;
        _totalLoss += AveragedOverRanks(TakeRunningLoss());
        StoreTokensAndFlos();
        State.LossScaler = _precision?.ScalerState;
        _precision?.Dispose();   // float32 masters back in the model before the best one may be loaded
        // HF divides by the global step; after a resume we divide by the steps this run took,
        // because the total only holds their losses.
        int steps = Math.Max(State.GlobalStep - _startStep, 0);
        double trainLoss = _totalLoss / Math.Max(steps, 0.001);

        if (Args.LoadBestModelAtEnd && State.BestModelCheckpoint is { } best && Directory.Exists(best))
            Checkpoint.LoadModel(Model, best);
        // HF: SaveTotalLimit = 1 keeps the newest checkpoint beside the best during training (to resume
        // from); at the end only the best is left.
        if (IsMainProcess && Args.SaveTotalLimit == 1 && State.BestModelCheckpoint is { } kept && Directory.Exists(kept))
            Checkpoint.KeepOnlyBest(Args.OutputDir, kept);

        // HF: samples = dataset size × epochs, or MaxSteps × batch × GA; steps = max_steps.
        double samples = Args.MaxSteps > 0
            ? (double)Args.MaxSteps * Args.PerDeviceTrainBatchSize * Args.GradientAccumulationSteps * WorldSize
            : _datasetSize * Args.NumTrainEpochs;
        var summary = new LogEntry(State.GlobalStep);
        AddSpeed(summary, "train", seconds, samples, State.MaxSteps);
        summary.Set("total_flos", State.TotalFlos);   // HF's train metrics carry it (0 when batches do not count tokens)
        summary.Set("train_loss", trainLoss);
        summary.Set("epoch", State.Epoch);
        var metrics = new Metrics();
        foreach (var (key, value) in summary) metrics.Set(key, value);
        return (new TrainOutput(State.GlobalStep, trainLoss, metrics), summary);
    }

    // Reads the running loss (one wait for the device) and zeroes it in place.
    private double TakeRunningLoss()
    {
        if (_onHost)
        {
            double host = _hostRunningLoss;
            _hostRunningLoss = 0;
            return host;
        }
        using var scope = torch.NewDisposeScope();
        double loss = Tensors.ReadFloat(_runningLoss);
        _runningLoss.zero_();
        return loss;
    }

    /// <summary>HF's <c>speed_metrics</c>: runtime to 4 places, per-second rates to 3 (from the unrounded runtime).</summary>
    public static void AddSpeed(Metrics metrics, string prefix, double seconds, double samples, double steps)
    {
        metrics.Set(prefix + "_runtime", PythonFloat.Round(seconds, 4));
        if (seconds == 0) return;
        metrics.Set(prefix + "_samples_per_second", PythonFloat.Round(samples / seconds, 3));
        metrics.Set(prefix + "_steps_per_second", PythonFloat.Round(steps / seconds, 3));
    }
}
