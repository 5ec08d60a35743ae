using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Dsl.Adapters;
using Dsl.Checkpoints;
using Dsl.Distributed;
using Dsl.Logging;
using Dsl.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl.__Internals;

/// <summary>
/// One <c>Train</c> call, following Hugging Face Trainer's <c>_inner_training_loop</c>: a thin façade
/// that wires the collaborators the generated loop calls: the <see cref="StepPlan"/> (how many steps and
/// epochs, what a resume skips), the <see cref="Flow"/> (when to log, evaluate, save or stop), the
/// <see cref="Gradients"/> (backward, averaging, clipping, the non-finite decision), the loss meter and
/// the checkpoint session. What depends on the user's class (steps, hooks) stays in the generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[Obsolete(Contract.Message, DiagnosticId = Contract.DiagnosticId)]
public abstract class TrainingRun : IDisposable
{
    private protected readonly TrainingArguments Args;
    private protected readonly nn.Module Model;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly int _datasetSize;
    private readonly StepPlan _plan;
    private readonly MixedPrecision? _precision;   // null: float32
    private readonly DataParallel? _ddp;           // null: this process trains alone
    private readonly LossMeter _losses;
    private readonly NonFiniteLoss _nonFinite;
    private readonly TokenCounter _tokens;
    private readonly CheckpointSession _checkpoints;
    private readonly PreemptionWatch _preemption = new();   // SIGTERM/SIGINT: finish the step, save, exit (caught from Prepare on)
    private readonly LoraModel? _adapter;          // null: the whole model trains
    private Optimizer? _optimizer;
    private LRScheduler? _scheduler;
    private IHookState? _hookState;
    private ProgressDisplay? _progress;
    private double _learningRate;
    private int _startStep;
    private NonFiniteLossException? _stopped;
    private int _nonFiniteSkips;
    private readonly RunMessages _messages;
    private readonly Threading.FreeCoreThreads? _threads;   // null: libtorch's thread count stays as it is

    private protected TrainingRun(TrainingArguments args, nn.Module model, Type batchType, int datasetSize, int batchesPerEpoch,
        bool hasEvalDataset, bool streaming)
    {
        Args = args;
        Model = model;
        _datasetSize = datasetSize;
        Device = args.ResolveDevice();
        RequireData(args, datasetSize, batchesPerEpoch, hasEvalDataset, streaming);
        args.ValidateEarlyStopping();

        _plan = new StepPlan(args.NumTrainEpochs, args.MaxSteps, args.GradientAccumulationSteps, batchesPerEpoch, streaming);
        State = new TrainerState
        {
            MaxSteps = _plan.MaxSteps,
            NumTrainEpochs = _plan.NumTrainEpochs,
            TrainBatchSize = args.PerDeviceTrainBatchSize,
            LoggingSteps = TrainingArguments.ResolveSteps(args.LoggingSteps, _plan.MaxSteps),
            EvalSteps = TrainingArguments.ResolveSteps(args.ResolvedEvalSteps, _plan.MaxSteps),
            SaveSteps = TrainingArguments.ResolveSteps(args.SaveSteps, _plan.MaxSteps),
            HasTrained = true,
        };
        Flow = new TrainingFlow(args);

        MoveToDevice(model, Device);
        _adapter = LoraModel.Find(model)?.ForTraining();
        _precision = MixedPrecision.ForTraining(model, args, Device);
        var parameters = model.parameters().Where(p => p.requires_grad).ToArray();
        _ddp = DataParallel.Start(args, model, parameters);
        _messages = new RunMessages(args, isMain: _ddp?.IsMain ?? true);
        // HF's EarlyStoppingCallback.on_train_begin warns about this, and so do we.
        if (args.EarlyStoppingPatience is not null && !args.LoadBestModelAtEnd)
            Warn("EarlyStoppingPatience is set without LoadBestModelAtEnd: once training stops, the model is the last one, not the best.");
        MarkProcess(State);
        _tokens = new TokenCounter(args, model, batchType, _ddp);
        bool onHost = Device.type == DeviceType.CPU && !args.KeepLossOnDevice;
        _losses = new LossMeter(args.LoggingNanInfFilter, onHost ? null : Device,
            _ddp is null ? null : loss => _ddp.Mean(loss, "the averaging of the logged loss"));
        _nonFinite = new NonFiniteLoss(args.NonFiniteLoss, _ddp?.Group.WorldSize ?? 1, Warn);
        Gradients = new GradientStep(parameters, args.MaxGradNorm, args.GradientAccumulationSteps, _precision, _ddp, _losses, _nonFinite, _preemption);
        // The log files' folder is made at the first log; a read-only one is refused now, not then.
        if (IsMainProcess && (args.Reports("jsonl") || args.Reports("tensorboard")))
            StorageErrors.RequireWritable(args.LoggingDir ?? args.OutputDir,
                args.LoggingDir is null ? "TrainingArguments.OutputDir (logs go to its runs/ folder)" : "TrainingArguments.LoggingDir", create: false);
        // Last, so a failure above leaves no lock behind: a second run into this folder is refused now.
        _checkpoints = new CheckpointSession(args, model, _ddp, Warn);
        _threads = Threading.FreeCoreThreads.Start(Device);
    }

    private static void RequireData(TrainingArguments args, int datasetSize, int batchesPerEpoch, bool hasEvalDataset, bool streaming)
    {
        if (streaming && args.MaxSteps <= 0)
            throw new ArgumentException(
                $"TrainingArguments.MaxSteps is {args.MaxSteps}, but the training dataset is a stream (an IEnumerable with no length), " +
                "so the number of optimizer steps cannot be worked out from NumTrainEpochs. Set MaxSteps to the number of steps to train " +
                "(Hugging Face: \"args.max_steps must be set to a positive value if dataloader does not have a length\"), " +
                "or pass an IReadOnlyList.", nameof(args));
        if (!streaming && batchesPerEpoch == 0)
            throw new ArgumentException(datasetSize == 0
                ? "The training dataset is empty."
                : $"The training dataset has {datasetSize} examples, fewer than one batch of {args.PerDeviceTrainBatchSize} with DataloaderDropLast.");
        if (args.EvalStrategy != IntervalStrategy.No && !hasEvalDataset)
            throw new ArgumentException(
                $"TrainingArguments.EvalStrategy is {args.EvalStrategy}, which needs an evaluation dataset: pass evalDataset (or named evalDatasets) to Train.");
    }

    /// <summary>The trainer state of this run.</summary>
    public TrainerState State { get; private set; }

    /// <summary>The device the model trains on.</summary>
    internal Device Device { get; }

    /// <summary>When to log, evaluate, save or stop: HF's <c>TrainerControl</c> and its flow rules.</summary>
    public TrainingFlow Flow { get; }

    /// <summary>Backward, averaging over ranks, unscaling, clipping and the decision to apply a step.</summary>
    public GradientStep Gradients { get; }

    /// <summary>Optimizer steps in the whole run: the <c>trainingSteps</c> a schedule is built for.</summary>
    public int MaxSteps => _plan.MaxSteps;

    /// <summary>Epochs the loop runs (the last may stop early at <see cref="MaxSteps"/>).</summary>
    public int NumTrainEpochs => _plan.NumTrainEpochs;

    /// <summary>The epoch to start in: 0, or the checkpoint's when resuming.</summary>
    public int FirstEpoch => _plan.FirstEpoch;

    private protected StepPlan Plan => _plan;

    private protected TokenCounter Tokens => _tokens;

    /// <summary>The dtype the batches' floating-point tensors are cast to (mixed precision on a plain module), or null.</summary>
    private protected ScalarType? BatchDType => _precision?.BatchDType;

    /// <summary>Applies what a hook returned to <paramref name="run"/> when training is under way; outside <c>Train</c> there is nothing to steer.</summary>
    public static void Request(TrainingRun? run, TrainerControl control) => run?.Flow.Request(control);

    /// <summary>
    /// Saves <paramref name="hooks"/>' state in every checkpoint under its class name and restores it on resume.
    /// Call before <see cref="Prepare"/>.
    /// </summary>
    public void TrackHookState(IHookState hooks)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        _hookState = hooks;
    }

    /// <summary>
    /// Takes the optimizer and schedule, and restores a checkpoint when
    /// <paramref name="resumeFromCheckpoint"/> is given (a folder, or <c>last</c> for the newest in OutputDir).
    /// </summary>
    public void Prepare(Optimizer optimizer, LRScheduler scheduler, string? resumeFromCheckpoint)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(scheduler);
        _optimizer = optimizer;
        _scheduler = scheduler;
        _adapter?.WarnOfFrozenParameters(optimizer, Warn);
        if (resumeFromCheckpoint is not null) Resume(resumeFromCheckpoint);
        else _checkpoints.BeginNewRun();   // a new run into a folder holding another run's checkpoints is refused here
        _precision?.Start(optimizer, State);   // working copies from the float32 masters the optimizer holds; the saved loss scale
        _progress = ProgressDisplay.Start("Training", MaxSteps, State.GlobalStep, !Args.DisableTqdm && IsMainProcess);
        _preemption.Start();
        _clock.Restart();
    }

    private void Resume(string checkpoint)
    {
        var (dir, saved) = _checkpoints.Open(checkpoint, MaxSteps);
        _checkpoints.Restore(dir, _optimizer!, _scheduler!);
        if (Args.RestoreCallbackStatesFromCheckpoint && CallbackStates.Restore(saved, dir, Flow, _hookState) is { Count: > 0 } unused)
            Warn($"{dir} holds the state of {string.Join(", ", unused)}, which this run does not use; ignored.");
        if (SettingsComparison.Compare(State, saved, Args.GradientAccumulationSteps, SettingsComparison.SavedAccumulation(dir), dir) is { } changed)
            Warn(changed);

        int savedMaxSteps = saved.MaxSteps;   // a stream's epoch fraction was counted in the saved run's MaxSteps
        saved.MaxSteps = State.MaxSteps;
        saved.NumTrainEpochs = State.NumTrainEpochs;
        saved.LoggingSteps = State.LoggingSteps;
        saved.EvalSteps = State.EvalSteps;
        saved.SaveSteps = State.SaveSteps;
        saved.TrainBatchSize = State.TrainBatchSize;
        saved.ResumedAtStep = saved.GlobalStep;
        MarkProcess(saved);
        State = saved;

        _startStep = saved.GlobalStep;
        _losses.ResumeAt(saved.GlobalStep);
        if (!_plan.ResumeAt(saved.GlobalStep, saved.Epoch, savedMaxSteps))
        {
            Warn($"{dir} is at step {saved.GlobalStep}, the end of this run ({MaxSteps} steps): training is already finished, " +
                 "nothing was trained. Raise NumTrainEpochs or MaxSteps to train further.");
            return;
        }
        // HF logs "Continuing training from checkpoint, will skip to saved global_step" and the epochs and batches it skips.
        _messages.Note($"Resumed from {dir} at global step {saved.GlobalStep} of {MaxSteps} (epoch {Format(saved.Epoch)}): " +
                       $"skipping the first {_plan.FirstEpoch} epochs, then the first {_plan.SkippedBatches} batches of epoch {_plan.FirstEpoch}.");
    }

    private static string Format(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>
    /// Ends an optimizer step: <c>GlobalStep++</c>, the epoch fraction from <paramref name="window"/>, mixed precision's
    /// working copies refreshed, and HF's <c>DefaultFlowCallback.on_step_end</c> rules in <see cref="Flow"/>.
    /// A step the non-finite policy stopped at halts the run: nothing is saved after it.
    /// </summary>
    /// <param name="window">The window that ends with this step.</param>
    /// <param name="update">What <see cref="GradientStep.Clip"/> decided.</param>
    /// <param name="learningRate">The rate the step used (read before <c>scheduler.step()</c>), as HF logs it.</param>
    public void EndStep(AccumulationWindow window, GradientUpdate update, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(window);
        // After the first step of this run: an adapter the forward never used means the model bypasses it.
        if (State.GlobalStep == _startStep) _adapter?.RequireLayersCalled(Warn);
        _learningRate = learningRate;
        _precision?.AfterStep(update.Apply);   // mixed precision: working copies refreshed from the stepped masters
        if (update.NonFinite is not null) _nonFiniteSkips++;
        if (update.NonFinite is { } what && _nonFinite.Stops && _stopped is null)
        {
            _stopped = NonFiniteLoss.StopException(window.Step, what, _checkpoints.LastCheckpoint);
            Flow.Halt();
        }
        State.GlobalStep++;
        State.Epoch = window.EpochAfter;
        _threads?.Tick();
        _progress?.Report(State.GlobalStep);
        Flow.OnStepEnd(State.GlobalStep, MaxSteps, State.LoggingSteps, State.EvalSteps, State.SaveSteps);
        // Alone, a signal stops the run after this step; data-parallel, once the ranks agreed (in this step's averaging).
        if (_preemption.StopsAfterStep(dataParallel: _ddp is not null)) Flow.Preempt();
    }

    /// <summary>Ends an epoch: HF's <c>on_epoch_end</c> decides whether to log, evaluate or save.</summary>
    public void EndEpoch()
    {
        // A stream's pass that ran out ends its epoch: the epoch becomes whole, as a list's last step makes it,
        // so a checkpoint saved now resumes at the start of the next pass. (HF leaves the last step's fraction.)
        if (ExhaustedStreamPass is { } pass) State.Epoch = pass + 1;
        Flow.OnEpochEnd(State.Epoch);
    }

    /// <summary>The epoch whose stream pass ran out, when the ending epoch is one (a list's epochs end whole anyway); else null.</summary>
    private protected virtual int? ExhaustedStreamPass => null;

    /// <summary>
    /// The training log entry of this step (HF's <c>_maybe_log_save_evaluate</c>): <c>loss</c>, the mean per
    /// optimizer step since the last log rounded to 4 places; <c>grad_norm</c> of this step; <c>learning_rate</c>
    /// this step used; <c>epoch</c>. The only place the loop waits for the device. Null when nothing was
    /// trained since the last log.
    /// </summary>
    public LogEntry? LogTrainingLoss()
    {
        int step = State.GlobalStep;
        if (_losses.TakeLogMean(step) is not { } loss) return null;
        _tokens.Store(State);
        var entry = new LogEntry(step);
        entry.Set("loss", PythonFloat.Round(loss, 4));
        if (Gradients.HasNorm)
        {
            double gradNorm = Gradients.ReadNorm();
            entry.Set("grad_norm", gradNorm);
            _nonFinite.ObserveLoggedGradNorm(gradNorm, step);
        }
        entry.Set("learning_rate", _learningRate);
        entry.Set("epoch", State.Epoch);
        return entry;
    }

    /// <summary>
    /// Takes an evaluation's metrics: steps a ReduceLROnPlateau schedule, lets early stopping and the best
    /// <c>MetricForBestModel</c> (HF's <c>_determine_best_metric</c>) look at them; with SaveStrategy.Best a
    /// new best asks <see cref="Flow"/> for a save.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The metric is not among the evaluation's keys.</exception>
    public void ObserveEvaluation(EvalResult metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        string? metric = Args.ResolvedMetricForBestModel;
        // HF _evaluate: a ReduceLROnPlateau schedule steps with metric_for_best_model (default loss) after each evaluation.
        if (_scheduler is PlateauSchedule plateau) plateau.Observe(MetricValue(metrics, metric ?? "eval_loss"));
        if (metric is null) return;
        double value = MetricValue(metrics, metric);
        double? bestBefore = State.BestMetric;
        var verdict = Flow.ObserveMetric(value, State);
        if (verdict.StopsEarly)
            _messages.Note($"Early stopping at step {State.GlobalStep}: {metric} = {Format(value)} has not improved on its best, " +
                           $"{Format(bestBefore ?? value)}, by more than {Format(Args.EarlyStoppingThreshold)} for {Args.EarlyStoppingPatience} " +
                           "evaluations in a row (EarlyStoppingPatience); training stops after this step's save.");
        if (!verdict.NewBest) return;
        State.BestMetric = value;
        State.BestGlobalStep = State.GlobalStep;
    }

    private static double MetricValue(EvalResult metrics, string metric) =>
        metrics.TryGetValue(metric, out double value) ? value : throw new KeyNotFoundException(
            $"TrainingArguments.MetricForBestModel is '{metric}', which is not among the evaluation metrics " +
            $"({string.Join(", ", metrics.Keys)}). Declare a [Metric] with that name or change MetricForBestModel.");

    /// <summary>
    /// Writes <c>checkpoint-{GlobalStep}</c> with the callbacks' states and rotates old ones (never the best).
    /// Returns the folder.
    /// </summary>
    public string SaveCheckpoint()
    {
        string dir = Checkpoint.PathFor(Args.OutputDir, State.GlobalStep);
        if (State.BestGlobalStep == State.GlobalStep) State.BestModelCheckpoint = dir;
        else if (State.BestGlobalStep is { } bestStep && Directory.Exists(Checkpoint.PathFor(Args.OutputDir, bestStep)))
            State.BestModelCheckpoint = Checkpoint.PathFor(Args.OutputDir, bestStep);
        _tokens.Store(State);
        CallbackStates.Collect(State, Flow, _hookState);
        return _checkpoints.Save(State, _optimizer!, _scheduler!, _precision);
    }

    /// <summary>
    /// Ends training: loads the best model when asked, leaves only the best checkpoint when
    /// <c>SaveTotalLimit</c> is 1, and builds HF's summary (<c>train_runtime</c>,
    /// <c>train_samples_per_second</c>, <c>train_steps_per_second</c>, <c>train_loss</c>, <c>epoch</c>).
    /// </summary>
    /// <exception cref="NonFiniteLossException">The non-finite policy stopped the run.</exception>
    /// <remarks>After a preemption signal (<see cref="Preemption"/>) it does not return: the process exits with <see cref="Preemption.ExitCode"/>.</remarks>
    public (TrainOutput Output, LogEntry Summary) Finish()
    {
        if (_stopped is not null) throw _stopped;
        if (Flow.Preempted)
        {
            // The preempted step is saved (and every rank passed the barrier after it): end the process, not just Train.
            _progress?.Dispose();
            _preemption.Exit(State.GlobalStep, _checkpoints.LastCheckpoint, _ddp?.Group);
        }
        double seconds = _clock.Elapsed.TotalSeconds;
        double totalLoss = _losses.TakeTotal();
        _tokens.Store(State);
        State.LossScaler = _precision?.ScalerState;
        _precision?.Dispose();   // float32 masters back in the model before the best one may be loaded
        // HF divides by the global step; after a resume we divide by the steps this run took,
        // because the total only holds their losses.
        int steps = Math.Max(State.GlobalStep - _startStep, 0);
        double trainLoss = totalLoss / Math.Max(steps, 0.001);
        // HF: "Loading best model from {best_model_checkpoint} (score: {best_metric})."
        if (_checkpoints.Finish(State) is { } best)
            _messages.Note($"Loaded the best model from {best} ({Args.ResolvedMetricForBestModel} = {Format(State.BestMetric ?? double.NaN)}, " +
                           $"step {State.BestGlobalStep}) (LoadBestModelAtEnd).");
        if (_nonFiniteSkips > 0)
            _messages.Note($"{_nonFiniteSkips} optimizer step(s) were not applied because the loss or the gradient norm was not finite (NonFiniteLoss = {Args.NonFiniteLoss}).");
        if (State.LossScaler is { SkippedSteps: > 0 } scaler)
            _messages.Note($"Fp16: {scaler.SkippedSteps} optimizer step(s) were skipped on a gradient overflow; the loss scale is now {Format(scaler.Scale)}.");

        // HF: samples = dataset size × epochs, or MaxSteps × batch × GA; steps = max_steps.
        double samples = Args.MaxSteps > 0
            ? (double)Args.MaxSteps * Args.PerDeviceTrainBatchSize * Args.GradientAccumulationSteps * (_ddp?.Group.WorldSize ?? 1)
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

    /// <summary>HF's <c>speed_metrics</c>: runtime to 4 places, per-second rates to 3 (from the unrounded runtime).</summary>
    internal static void AddSpeed(Metrics metrics, string prefix, double seconds, double samples, double steps)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        metrics.Set(prefix + "_runtime", PythonFloat.Round(seconds, 4));
        if (seconds == 0) return;
        metrics.Set(prefix + "_samples_per_second", PythonFloat.Round(samples / seconds, 3));
        metrics.Set(prefix + "_steps_per_second", PythonFloat.Round(steps / seconds, 3));
    }

    /// <summary>Rank 0 (or the only process): the one that logs, shows progress and writes checkpoints.</summary>
    private bool IsMainProcess => _ddp?.IsMain ?? true;

    private void MarkProcess(TrainerState state)
    {
        if (_ddp is null) return;
        state.IsWorldProcessZero = _ddp.IsMain;
        state.IsLocalProcessZero = DistributedLaunch.LocalRank == 0;
    }

    /// <summary>Prints a warning on stderr and appends it to the run's <c>trainer.log</c>, unless ReportTo is <c>none</c>.</summary>
    private protected void Warn(string message) => _messages.Warn(message);

    /// <summary>Releases the device buffers and the output folder's lock.</summary>
    public void Dispose()
    {
        _threads?.Dispose();
        _preemption.Dispose();
        _progress?.Dispose();
        _checkpoints?.Dispose();
        _precision?.Dispose();
        _losses?.Dispose();
        Gradients?.Dispose();
        _ddp?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Moves <paramref name="model"/> to <paramref name="device"/> unless it is there (a move would replace its parameters).</summary>
    internal static void MoveToDevice(nn.Module model, Device device)
    {
        var first = model.parameters().FirstOrDefault();
        if (first is null || first.device.type != device.type || first.device.index != device.index) model.to(device);
        // TorchSharp's Linear.to moves only its own weight and bias: a LoRA adapter follows its layer.
        LoraModel.Find(model)?.FollowBaseDevice();
    }
}
