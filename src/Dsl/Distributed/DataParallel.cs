using System.Globalization;
using Dsl.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Distributed;

/// <summary>
/// What one training run does differently as a rank of a data-parallel job, with PyTorch DDP's and HF
/// Trainer's semantics: rank 0's weights broadcast at the start; gradients averaged once per
/// accumulation window (after its last micro-batch; the others are DDP's <c>no_sync</c>); the logged loss
/// averaged over ranks at log steps; every rank's RNG state gathered for the checkpoint rank 0 writes.
/// </summary>
internal sealed class DataParallel : IDisposable
{
    private readonly GradientBuckets _buckets;

    private DataParallel(ProcessGroup group, nn.Module model, IReadOnlyList<Parameter> parameters, TrainingArguments args)
    {
        Group = group;
        BroadcastFromMain(model, group);
        _buckets = new GradientBuckets(parameters, args.DdpBucketCapMb, group.WorldSize);
    }

    /// <summary>The run's data-parallel side, or null when the process trains alone.</summary>
    public static DataParallel? Start(TrainingArguments args, nn.Module model, IReadOnlyList<Parameter> parameters)
    {
        var group = DistributedLaunch.For(args);
        return group is null ? null : new DataParallel(group, model, parameters, args);
    }

    /// <summary>The ranks.</summary>
    public ProcessGroup Group { get; }

    /// <summary>Rank 0.</summary>
    public bool IsMain => Group.IsMain;

    /// <summary>Bytes of gradients one averaging sums.</summary>
    public long BytesPerAveraging => _buckets.Bytes;

    /// <summary>Gradient buckets.</summary>
    public int Buckets => _buckets.Count;

    /// <summary>Averages the gradients over the ranks: call after the last backward of an accumulation window.</summary>
    public void AverageGradients() => _buckets.Average(Group, stopRequested: false);

    /// <summary>
    /// Averages the gradients over the ranks and agrees on whether to stop after this step: true on every rank
    /// when any rank passed <paramref name="stopRequested"/> (a preemption signal). The request travels in the
    /// gradient sum, so agreeing costs no collective of its own.
    /// </summary>
    public bool AverageGradients(bool stopRequested) => _buckets.Average(Group, stopRequested);

    /// <summary>The mean of <paramref name="value"/> over the ranks (HF logs <c>nested_gather(tr_loss).mean()</c>).</summary>
    public double Mean(double value, string what) => Group.Sum(value, what) / Group.WorldSize;

    /// <summary>Every rank's torch generator state, by rank (each rank saves its own, as HF's <c>rng_state_{rank}</c>).</summary>
    public byte[][] GatherRngStates()
    {
        using var state = torch.get_rng_state();
        return Group.AllGather(state.bytes.ToArray(), "the gathering of RNG states for a checkpoint");
    }

    /// <summary>
    /// The RNG file of this rank in <paramref name="checkpoint"/>; a checkpoint written by one process has
    /// only <c>rng_state.bin</c>, which every rank then loads (HF warns that reproducibility is not guaranteed).
    /// </summary>
    public string RngFile(string checkpoint, Action<string> warn)
    {
        string mine = Path.Combine(checkpoint, Checkpoint.RankRngFile(Group.Rank));
        if (File.Exists(mine)) return mine;
        warn($"{checkpoint} has no {Checkpoint.RankRngFile(Group.Rank)} (it was saved by a run with fewer ranks); " +
             $"rank {Group.Rank} loads {Checkpoint.RngFile}, so its random numbers will not continue exactly.");
        return Path.Combine(checkpoint, Checkpoint.RngFile);
    }

    /// <summary>Fails on every rank unless all ranks hold the same <paramref name="value"/>.</summary>
    public void RequireSame(long value, string what)
    {
        var all = Group.AllGather(BitConverter.GetBytes(value), "a consistency check of " + what);
        foreach (var bytes in all)
            if (BitConverter.ToInt64(bytes) != value)
                throw new InvalidOperationException(
                    $"The ranks disagree on {what}: [{string.Join(", ", all.Select(b => BitConverter.ToInt64(b).ToString(CultureInfo.InvariantCulture)))}]. " +
                    "Every rank must see the same OutputDir (shared storage) and run the same program with the same arguments.");
    }

    /// <summary>Waits for every rank (after rank 0 wrote a checkpoint).</summary>
    public void Barrier(string what) => Group.Barrier(what);

    // DDP's constructor: every parameter and buffer takes rank 0's value.
    private static void BroadcastFromMain(nn.Module model, ProcessGroup group)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var (name, tensor) in model.state_dict())
        {
            var host = tensor.detach().cpu().contiguous();
            group.Broadcast(host, root: 0, "the broadcast of rank 0's initial weights (" + name + ")");
            tensor.copy_(host);   // on the CPU, host shares the tensor's memory and this copies onto itself
        }
    }

    public void Dispose() => _buckets.Dispose();
}
