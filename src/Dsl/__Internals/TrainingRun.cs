using System.ComponentModel;
using System.Diagnostics;
using Dsl.Checkpoints;
using Dsl.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl.__Internals;

/// <summary>
/// The bookkeeping of one <c>Train</c> call, following Hugging Face Trainer's
/// <c>_inner_training_loop</c>: step counts, gradient-accumulation windows, the running loss on the
/// device, clipping, when to log, evaluate and save, checkpoints and resume. The generated loop
/// calls it; what depends on the user's class (steps, hooks) stays in the generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract partial class TrainingRun : IDisposable
{
    private protected readonly TrainingArguments Args;
    private protected readonly nn.Module Model;
    private readonly Parameter[] _parameters;
    private readonly GradientClipper _clipper;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly int _datasetSize;

    // The running loss since the last log and the last step's gradient norm: on the device for
    // accelerators; on the host for the CPU, where reading a value costs no wait.
    private readonly bool _onHost;
    private readonly Tensor _runningLoss;
    private Tensor? _gradNorm;
    private float _hostRunningLoss;
    private double _hostGradNorm;
    private bool _hasGradNorm;
    private double _totalLoss;
    private int _lastLoggedStep;
    private double _learningRate;

    private Optimizer? _optimizer;
    private LRScheduler? _scheduler;
    private int _startStep;
    private int _skipBatches;
    private string? _lastCheckpoint;

    // The current micro-batch and its gradient-accumulation window.
    private int _batchIndex, _batchesInEpoch, _windowSize, _epoch;
    private readonly Scalar?[] _windowScalars;

    private TrainerControl _control;
    private ProgressDisplay? _progress;
    private readonly MixedPrecision? _precision;   // null: float32

    private protected TrainingRun(TrainingArguments args, nn.Module model, int datasetSize, int batchesPerEpoch, bool hasEvalDataset)
    {
        Args = args;
        Model = model;
        _datasetSize = datasetSize;
        Device = args.ResolveDevice();

        if (batchesPerEpoch == 0)
            throw new ArgumentException(datasetSize == 0
                ? "The training dataset is empty."
                : $"The training dataset has {datasetSize} examples, fewer than one batch of {args.PerDeviceTrainBatchSize} with DataloaderDropLast.");
        if (args.EvalStrategy != IntervalStrategy.No && !hasEvalDataset)
            throw new ArgumentException(
                $"TrainingArguments.EvalStrategy is {args.EvalStrategy}, which needs an evaluation dataset: pass evalDataset to Train.");
        StartEarlyStopping();

        // HF: num_update_steps_per_epoch = ceil(batches / GA); max_steps = ceil(epochs × that),
        // or MaxSteps, which sets the epochs to ceil(max_steps / updates per epoch).
        UpdatesPerEpoch = Math.Max(1, (batchesPerEpoch + args.GradientAccumulationSteps - 1) / args.GradientAccumulationSteps);
        if (args.MaxSteps > 0)
        {
            MaxSteps = args.MaxSteps;
            NumTrainEpochs = (MaxSteps + UpdatesPerEpoch - 1) / UpdatesPerEpoch;
        }
        else
        {
            MaxSteps = (int)Math.Ceiling(args.NumTrainEpochs * UpdatesPerEpoch);
            NumTrainEpochs = (int)Math.Ceiling(args.NumTrainEpochs);
        }

        State = new TrainerState
        {
            MaxSteps = MaxSteps,
            NumTrainEpochs = NumTrainEpochs,
            TrainBatchSize = args.PerDeviceTrainBatchSize,
            LoggingSteps = TrainingArguments.ResolveSteps(args.LoggingSteps, MaxSteps),
            EvalSteps = TrainingArguments.ResolveSteps(args.ResolvedEvalSteps, MaxSteps),
            SaveSteps = TrainingArguments.ResolveSteps(args.SaveSteps, MaxSteps),
            HasTrained = true,
        };

        MoveToDevice(model, Device);
        _precision = MixedPrecision.ForTraining(model, args, Device);
        _parameters = model.parameters().Where(p => p.requires_grad).ToArray();
        _clipper = new GradientClipper(_parameters);
        _ddp = Distributed.DataParallel.Start(args, model, _parameters);   // null when training alone
        MarkProcess(State);
        _onHost = Device.type == DeviceType.CPU && !AccumulateOnDevice;
        _runningLoss = torch.zeros([], dtype: ScalarType.Float32, device: Device);
        _windowScalars = new Scalar?[args.GradientAccumulationSteps + 1];
        // Last, so a failure above leaves no lock behind: a second run into this folder is refused now.
        // Only rank 0 writes checkpoints in a data-parallel run, so only it takes the lock.
        if (args.SaveStrategy != SaveStrategy.No && IsMainProcess)
        {
            _outputLock = OutputFolderLock.Acquire(args.OutputDir);
            Checkpoint.RemoveLeftovers(args.OutputDir);
        }
    }

    private readonly OutputFolderLock? _outputLock;

    /// <summary>Keep the running loss and clipping on the device even on the CPU (tests compare both paths).</summary>
    internal static bool AccumulateOnDevice { get; set; }

    /// <summary>The trainer state of this run.</summary>
    public TrainerState State { get; private set; }

    /// <summary>The device the model trains on.</summary>
    public Device Device { get; }

    /// <summary>Optimizer steps in the whole run: the <c>trainingSteps</c> a schedule is built for.</summary>
    public int MaxSteps { get; }

    /// <summary>Epochs the loop runs (the last may stop early at <see cref="MaxSteps"/>).</summary>
    public int NumTrainEpochs { get; }

    /// <summary>Optimizer steps per epoch: ceil(batches / GradientAccumulationSteps).</summary>
    public int UpdatesPerEpoch { get; }

    /// <summary>The epoch to start in: 0, or the checkpoint's when resuming.</summary>
    public int FirstEpoch { get; private set; }

    /// <summary>True when the current batch ends its gradient-accumulation window: time for an optimizer step.</summary>
    public bool IsOptimizerStep { get; private set; }

    /// <summary>True when the current batch is the first of its gradient-accumulation window (HF's <c>on_step_begin</c>).</summary>
    public bool StartsStep { get; private set; }

    /// <summary>A hook, <c>MaxSteps</c> or an evaluation asked to stop training.</summary>
    public bool ShouldStopTraining => (_control & TrainerControl.StopTraining) != 0;

    /// <summary>The current epoch should end after this step (or training stops).</summary>
    public bool ShouldStopEpoch => (_control & (TrainerControl.StopEpoch | TrainerControl.StopTraining)) != 0;

    /// <summary>This step logs.</summary>
    public bool ShouldLog => (_control & TrainerControl.Log) != 0;

    /// <summary>This step evaluates.</summary>
    public bool ShouldEvaluate => (_control & TrainerControl.Evaluate) != 0;

    /// <summary>This step saves a checkpoint.</summary>
    public bool ShouldSave => (_control & TrainerControl.Save) != 0 && _stopped is null;

    /// <summary>Applies what a hook returned.</summary>
    public void Request(TrainerControl control) => _control |= control;

    /// <summary>Applies what a hook returned to <paramref name="run"/> when training is under way; outside <c>Train</c> there is nothing to steer.</summary>
    public static void Request(TrainingRun? run, TrainerControl control) => run?.Request(control);

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
        if (resumeFromCheckpoint is not null) Resume(resumeFromCheckpoint);
        _precision?.Start(optimizer, State);   // working copies from the float32 masters the optimizer holds; the saved loss scale
        _progress = ProgressDisplay.Start("Training", MaxSteps, State.GlobalStep, !Args.DisableTqdm && IsMainProcess);
        _clock.Restart();
    }

    private void Resume(string checkpoint)
    {
        string dir = checkpoint == "last"
            ? Checkpoint.Last(Args.OutputDir) ?? throw new DirectoryNotFoundException(
                $"resumeFromCheckpoint is 'last' but {Path.GetFullPath(Args.OutputDir)} holds no checkpoint-N folder with a {Checkpoint.StateFile}.")
            : checkpoint;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"The checkpoint folder {dir} does not exist.");
        string statePath = Path.Combine(dir, Checkpoint.StateFile);
        if (!File.Exists(statePath)) throw new FileNotFoundException($"{dir} is not a checkpoint: it has no {Checkpoint.StateFile}.", statePath);

        Checkpoint.VerifyChecksums(dir);
        var saved = TrainerState.Load(statePath);
        RequireSameCheckpoint(saved.GlobalStep);
        if (saved.GlobalStep > MaxSteps)
            throw new InvalidOperationException(
                $"{dir} is at step {saved.GlobalStep}, past this run's {MaxSteps} steps; raise NumTrainEpochs or MaxSteps to train further.");

        Checkpoint.LoadModel(Model, dir);
        if (Checkpoint.RestoreScheduler(_scheduler!, Path.Combine(dir, Checkpoint.SchedulerFile)) is { } warning) Warn(warning);
        Checkpoint.LoadOptimizer(_optimizer!, Path.Combine(dir, Checkpoint.OptimizerFile));
        Checkpoint.LoadRng(RngFileToLoad(dir));

        RestoreCallbackStates(saved, dir);
        CompareWithCheckpoint(saved, dir);

        saved.MaxSteps = State.MaxSteps;
        saved.NumTrainEpochs = State.NumTrainEpochs;
        saved.LoggingSteps = State.LoggingSteps;
        saved.EvalSteps = State.EvalSteps;
        saved.SaveSteps = State.SaveSteps;
        saved.TrainBatchSize = State.TrainBatchSize;
        saved.ResumedAtStep = saved.GlobalStep;
        MarkProcess(saved);
        State = saved;

        // HF: epochs_trained = global_step // updates per epoch; the batches of the current epoch
        // already seen are (global_step % updates per epoch) × GA, skipped in the same order.
        _startStep = saved.GlobalStep;
        _lastLoggedStep = saved.GlobalStep;
        FirstEpoch = saved.GlobalStep / UpdatesPerEpoch;
        _skipBatches = saved.GlobalStep % UpdatesPerEpoch * Args.GradientAccumulationSteps;
        _lastCheckpoint = dir;
        if (saved.GlobalStep >= MaxSteps)
        {
            // HF: a run resumed at max_steps trains nothing; no epoch starts, so no step past the end is taken.
            FirstEpoch = NumTrainEpochs;
            Warn($"{dir} is at step {saved.GlobalStep}, the end of this run ({MaxSteps} steps): training is already finished, " +
                 "nothing was trained. Raise NumTrainEpochs or MaxSteps to train further.");
        }
    }

    /// <summary>Warnings of this run (also printed on stderr unless ReportTo is <c>none</c>, as HF's logger prints them).</summary>
    public List<string> Warnings { get; } = [];

    private void Warn(string message)
    {
        Warnings.Add(message);
        if (!Args.ReportTo.Contains("none")) Console.Error.WriteLine("Warning: " + message);
    }

    /// <summary>The dtype the batches' floating-point tensors are cast to (mixed precision on a plain module), or null.</summary>
    private protected ScalarType? BatchDType => _precision?.BatchDType;

    /// <summary>Batches to skip at the start of <paramref name="epoch"/> (non-zero only in a resumed epoch).</summary>
    private protected int SkipFor(int epoch)
    {
        _epoch = epoch;
        _control &= ~TrainerControl.StopEpoch;
        int skip = epoch == FirstEpoch ? _skipBatches : 0;
        return skip;
    }

    /// <summary>Called as each micro-batch is taken: works out its accumulation window.</summary>
    private protected void OnBatch(int index, int batchesInEpoch)
    {
        _batchIndex = index;
        _batchesInEpoch = batchesInEpoch;
        // HF: step when (i + 1) % GA == 0 or at the epoch's last batch; the last window may be short.
        int ga = Args.GradientAccumulationSteps;
        int windowStart = index / ga * ga;
        _windowSize = Math.Min(ga, batchesInEpoch - windowStart);
        IsOptimizerStep = (index + 1) % ga == 0 || index + 1 == batchesInEpoch;
        StartsStep = index % ga == 0;
        // HF's on_step_begin clears log/evaluate/save at the start of a window, so what a hook asks for
        // from here to the step's end (step begin, pre-optimizer, optimizer step) is acted on.
        if (StartsStep) _control &= TrainerControl.StopTraining | TrainerControl.StopEpoch;
    }

    /// <summary>Releases the device buffers.</summary>
    public void Dispose()
    {
        _progress?.Dispose();
        _outputLock?.Dispose();
        _precision?.Dispose();
        _runningLoss.Dispose();
        _gradNorm?.Dispose();
        _clipper.Dispose();
        _ddp?.Dispose();
        foreach (var scalar in _windowScalars) scalar?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Moves <paramref name="model"/> to <paramref name="device"/> unless it is there (a move would replace its parameters).</summary>
    internal static void MoveToDevice(nn.Module model, Device device)
    {
        var first = model.parameters().FirstOrDefault();
        if (first is not null && first.device.type == device.type && first.device.index == device.index) return;
        model.to(device);
    }
}
