using System.Globalization;
using Dsl.Checkpoints;
using Dsl.Distributed;

namespace Dsl.__Internals;

public abstract partial class TrainingRun
{
    // Null when this process trains alone: then every hook below does nothing and the loop is unchanged.
    private readonly DataParallel? _ddp;

    /// <summary>This process's rank in a data-parallel job; 0 when it trains alone.</summary>
    public int Rank => _ddp?.Group.Rank ?? 0;

    /// <summary>The ranks training together; 1 when this process trains alone.</summary>
    public int WorldSize => _ddp?.Group.WorldSize ?? 1;

    /// <summary>Rank 0 (or the only process): the one that logs, shows progress and writes checkpoints.</summary>
    public bool IsMainProcess => _ddp?.IsMain ?? true;

    /// <summary>Bytes of gradients averaged per optimizer step (0 when training alone), for measurements.</summary>
    public long BytesAllReducedPerStep => _ddp?.BytesPerAveraging ?? 0;

    // DDP: gradients are averaged after the last backward of an accumulation window only (no_sync before).
    private void AverageGradientsAtWindowEnd()
    {
        if (_ddp is not null && IsOptimizerStep) _ddp.AverageGradients();
    }

    // HF logs the loss gathered from every rank and averaged: nested_gather(tr_loss).mean().
    private double AveragedOverRanks(double loss) => _ddp?.Mean(loss, "the averaging of the logged loss") ?? loss;

    // Each rank's RNG state goes into the checkpoint (HF: rng_state_{rank}); only rank 0 writes it.
    private byte[][]? GatherRngStates() => _ddp?.GatherRngStates();

    private void AfterSave(string dir) => _ddp?.Barrier("the barrier after writing " + Path.GetFileName(dir));

    private string RngFileToLoad(string dir)
    {
        if (_ddp is not null) return _ddp.RngFile(dir, Warn);
        string own = Path.Combine(dir, Checkpoint.RngFile), first = Path.Combine(dir, Checkpoint.RankRngFile(0));
        if (File.Exists(own) || !File.Exists(first)) return own;
        // HF resumes a distributed run's checkpoint in one process with a warning; we continue from rank 0's generator.
        Warn($"{dir} was saved by a data-parallel run (it has {Checkpoint.RankRngFile(0)}, no {Checkpoint.RngFile}); " +
             "this process continues from rank 0's random numbers, so the run will not continue exactly.");
        return first;
    }

    private void MarkProcess(TrainerState state)
    {
        if (_ddp is null) return;
        state.IsWorldProcessZero = _ddp.IsMain;
        state.IsLocalProcessZero = DistributedLaunch.LocalRank == 0;
    }

    private void RequireSameCheckpoint(int step) =>
        _ddp?.RequireSame(step, "the step of the checkpoint to resume from (" + step.ToString(CultureInfo.InvariantCulture) + " here)");
}
