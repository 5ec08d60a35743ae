using Dsl.__Internals;
using Dsl.Checkpoints;
using Dsl.Distributed;
using TorchSharp;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl.Training;

/// <summary>
/// A run's checkpoints in <c>OutputDir</c>: the folder's lock (a second writer is refused at its start),
/// writing <c>checkpoint-{step}</c> and rotating old ones, opening and restoring the checkpoint a run
/// resumes from, and the best model at the end. In a data-parallel run only rank 0 locks and writes (with
/// SaveOnEachNode, the first rank of each host); every rank takes part in the collectives (RNG states, the
/// barrier after a save).
/// </summary>
internal sealed class CheckpointSession : IDisposable
{
    private readonly TrainingArguments _args;
    private readonly torch.nn.Module _model;
    private readonly DataParallel? _ddp;
    private readonly Action<string> _warn;
    private readonly OutputFolderLock? _lock;

    public CheckpointSession(TrainingArguments args, torch.nn.Module model, DataParallel? ddp, Action<string> warn)
    {
        _args = args;
        _model = model;
        _ddp = ddp;
        _warn = warn;
        if (args.SaveStrategy == SaveStrategy.No || !Writes) return;
        _lock = OutputFolderLock.Acquire(args.OutputDir);
        Checkpoint.RemoveLeftovers(args.OutputDir);
    }

    // HF's should_save: rank 0 writes; with SaveOnEachNode the first rank of every host does (storage the hosts do not share).
    private bool Writes => _ddp is null || (_args.SaveOnEachNode ? DistributedLaunch.LocalRank == 0 : _ddp.IsMain);

    /// <summary>The newest checkpoint this run wrote or resumed from; null before either.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>
    /// The checkpoint to resume from (<c>last</c>: the newest in OutputDir), checked (its files' checksums, the
    /// same step on every rank, not past <paramref name="maxSteps"/>) and its trainer state read.
    /// </summary>
    public (string Dir, TrainerState Saved) Open(string checkpoint, int maxSteps)
    {
        string dir = checkpoint == "last"
            ? Checkpoint.Last(_args.OutputDir) ?? throw new DirectoryNotFoundException(
                $"resumeFromCheckpoint is 'last' but {Path.GetFullPath(_args.OutputDir)} holds no checkpoint-N folder with a {Checkpoint.StateFile}.")
            : checkpoint;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"The checkpoint folder {dir} does not exist.");
        string statePath = Path.Combine(dir, Checkpoint.StateFile);
        if (!File.Exists(statePath)) throw new FileNotFoundException($"{dir} is not a checkpoint: it has no {Checkpoint.StateFile}.", statePath);

        Checkpoint.VerifyChecksums(dir);
        var saved = TrainerState.Load(statePath);
        _ddp?.RequireSame(saved.GlobalStep, $"the step of the checkpoint to resume from ({saved.GlobalStep} here)");
        if (saved.GlobalStep > maxSteps)
            throw new InvalidOperationException(
                $"{dir} is at step {saved.GlobalStep}, past this run's {maxSteps} steps; raise NumTrainEpochs or MaxSteps to train further.");
        LastCheckpoint = dir;
        return (dir, saved);
    }

    /// <summary>Loads the model, the schedule, the optimizer and this rank's RNG state of <paramref name="dir"/>.</summary>
    public void Restore(string dir, Optimizer optimizer, LRScheduler scheduler)
    {
        Checkpoint.LoadModel(_model, dir);
        if (Checkpoint.RestoreScheduler(scheduler, Path.Combine(dir, Checkpoint.SchedulerFile)) is { } warning) _warn(warning);
        Checkpoint.LoadOptimizer(optimizer, Path.Combine(dir, Checkpoint.OptimizerFile));
        Checkpoint.LoadRng(RngFileToLoad(dir));
    }

    private string RngFileToLoad(string dir)
    {
        if (_ddp is not null) return _ddp.RngFile(dir, _warn);
        string own = Path.Combine(dir, Checkpoint.RngFile), first = Path.Combine(dir, Checkpoint.RankRngFile(0));
        if (File.Exists(own) || !File.Exists(first)) return own;
        // HF resumes a distributed run's checkpoint in one process with a warning; we continue from rank 0's generator.
        _warn($"{dir} was saved by a data-parallel run (it has {Checkpoint.RankRngFile(0)}, no {Checkpoint.RngFile}); " +
              "this process continues from rank 0's random numbers, so the run will not continue exactly.");
        return first;
    }

    /// <summary>
    /// Writes <c>checkpoint-{GlobalStep}</c> of <paramref name="state"/> and rotates old ones (never the best). A second
    /// save at the same step (a hook asking again at the epoch's end) only rewrites <c>trainer_state.json</c>.
    /// </summary>
    public string Save(TrainerState state, Optimizer optimizer, LRScheduler scheduler, MixedPrecision? precision)
    {
        string dir = Checkpoint.PathFor(_args.OutputDir, state.GlobalStep);
        var rngStates = _ddp?.GatherRngStates();   // each rank's generator (HF: rng_state_{rank}); null when training alone
        if (Writes) Write(dir, state, optimizer, scheduler, precision, rngStates);
        LastCheckpoint = dir;
        _ddp?.Barrier("the barrier after writing " + Path.GetFileName(dir));
        return dir;
    }

    private void Write(string dir, TrainerState state, Optimizer optimizer, LRScheduler scheduler, MixedPrecision? precision, byte[][]? rngStates)
    {
        if (LastCheckpoint == dir && Directory.Exists(dir))
        {
            Checkpoint.UpdateState(dir, state);
            return;
        }
        Directory.CreateDirectory(_args.OutputDir);
        bool full = !_args.SaveOnlyModel;
        state.LossScaler = precision?.ScalerState;
        using (precision?.ShowMasters())   // mixed precision: the float32 masters, not the working copies
            Checkpoint.Save(_args.OutputDir, _model, full ? optimizer : null, full ? scheduler : null, state, _args, rngStates);
        Checkpoint.Rotate(_args.OutputDir, _args.SaveTotalLimit, state.BestModelCheckpoint);
    }

    /// <summary>
    /// The end of training: loads the best model when LoadBestModelAtEnd asks, and with SaveTotalLimit 1 leaves only
    /// the best checkpoint (HF keeps the newest beside it during training, to resume from; at the end only the best).
    /// </summary>
    /// <returns>The checkpoint the best model was loaded from, or null.</returns>
    public string? Finish(TrainerState state)
    {
        string? loaded = null;
        if (_args.LoadBestModelAtEnd && state.BestModelCheckpoint is { } best && Directory.Exists(best))
        {
            Checkpoint.LoadModel(_model, best);
            loaded = best;
        }
        if (Writes && _args.SaveTotalLimit == 1 && state.BestModelCheckpoint is { } kept && Directory.Exists(kept))
            Checkpoint.KeepOnlyBest(_args.OutputDir, kept);
        return loaded;
    }

    /// <summary>Releases the output folder's lock.</summary>
    public void Dispose() => _lock?.Dispose();
}
