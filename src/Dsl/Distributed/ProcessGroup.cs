using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Distributed;

/// <summary>
/// The ranks of one data-parallel job and the collectives the training loop needs: a sum over every
/// rank in place, a broadcast from one rank, a gather of bytes, a barrier. The <c>Dsl.Distributed</c>
/// package implements them over MPI for CPU tensors (<see cref="DistributedEngine"/>); an engine for accelerators (NCCL) would implement the same
/// members on device tensors, and nothing above this class would change.
/// </summary>
/// <remarks>
/// Every collective runs under a watchdog, as PyTorch's NCCL process group does: a rank that waits
/// longer than <see cref="Timeout"/> (HF's <c>ddp_timeout</c>) for the others prints which collective
/// it was in and aborts the whole job, so a rank that died or hung never leaves the others waiting forever.
/// </remarks>
public abstract class ProcessGroup : IDisposable
{
    private long _waitingSince;          // Stopwatch ticks when the current collective began; 0 when none
    private string _waitingIn = "";
    private readonly Thread _watchdog;
    private volatile bool _disposed;

    /// <summary>Creates the group and starts its watchdog.</summary>
    protected ProcessGroup(int rank, int worldSize)
    {
        Rank = rank;
        WorldSize = worldSize;
        _watchdog = new Thread(Watch) { IsBackground = true, Name = "Dsl distributed watchdog" };
        _watchdog.Start();
    }

    /// <summary>
    /// The exit code of a rank the watchdog ends because another rank died, hung or took another path: 74,
    /// <c>EX_IOERR</c> of sysexits.h, since the ranks stopped communicating.
    /// </summary>
    public const int WatchdogExitCode = 74;

    /// <summary>This process's rank, 0 to <see cref="WorldSize"/> - 1.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks.</summary>
    public int WorldSize { get; }

    /// <summary>Rank 0: the one that logs, shows progress and writes checkpoints (HF's <c>is_world_process_zero</c>).</summary>
    public bool IsMain => Rank == 0;

    /// <summary>The engine's name, for messages and docs (<c>mpi</c>).</summary>
    public abstract string Backend { get; }

    /// <summary>How long one collective may wait for the other ranks. Default 30 minutes (HF's <c>ddp_timeout</c>).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1800);

    /// <summary>Bytes this rank has sent into sums since the group started (for measurements).</summary>
    public long BytesAllReduced { get; private set; }

    /// <summary>Time this rank has spent inside collectives, waiting for the others included (for measurements).</summary>
    public TimeSpan TimeInCollectives => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _collectiveTicks));

    /// <summary>Time this rank has spent inside sums (<see cref="AllReduceSum"/>: gradient averaging and logged values), waiting included.</summary>
    public TimeSpan TimeInAllReduce => Stopwatch.GetElapsedTime(0, _allReduceTicks);

    private long _collectiveTicks;
    private long _allReduceTicks;

    /// <summary>Replaces <paramref name="tensor"/> (contiguous, on the CPU) with its sum over every rank.</summary>
    /// <param name="tensor">float32, float64 or int64.</param>
    /// <param name="what">What is summed, named in the timeout message.</param>
    public void AllReduceSum(Tensor tensor, string what)
    {
        RequireHostContiguous(tensor, what);
        long start = Stopwatch.GetTimestamp();
        using (Watch(what)) AllReduceSumCore(tensor);
        _allReduceTicks += Stopwatch.GetTimestamp() - start;
        BytesAllReduced += tensor.NumberOfElements * tensor.ElementSize;
    }

    /// <summary>Replaces <paramref name="tensor"/> (contiguous, on the CPU) on every rank with <paramref name="root"/>'s.</summary>
    public void Broadcast(Tensor tensor, int root, string what)
    {
        RequireHostContiguous(tensor, what);
        using (Watch(what)) BroadcastCore(tensor, root);
    }

    /// <summary>Every rank's <paramref name="local"/> bytes, indexed by rank (lengths may differ).</summary>
    public byte[][] AllGather(byte[] local, string what)
    {
        ArgumentNullException.ThrowIfNull(local);
        using (Watch(what)) return AllGatherCore(local);
    }

    /// <summary>Waits until every rank has reached the same barrier.</summary>
    public void Barrier(string what)
    {
        using (Watch(what)) BarrierCore();
    }

    /// <summary>The sum of <paramref name="value"/> over every rank.</summary>
    public double Sum(double value, string what)
    {
        using var buffer = torch.tensor(new[] { value }, ScalarType.Float64);
        AllReduceSum(buffer, what);
        return buffer.item<double>();
    }

    /// <summary>
    /// Whether every rank is ending its process together, after agreeing to (a preempted run, after its checkpoint):
    /// a non-zero exit code then ends the job in order (MPI_Finalize), not by aborting the other ranks.
    /// </summary>
    public bool EndingTogether { get; private set; }

    /// <summary>Marks the agreed, orderly end of every rank (see <see cref="EndingTogether"/>).</summary>
    public void EndTogether() => EndingTogether = true;

    /// <summary>Prints <paramref name="message"/> and ends every rank of the job with a non-zero exit code.</summary>
    public abstract void Abort(string message, int exitCode);

    /// <summary>The engine's in-place sum.</summary>
    protected abstract void AllReduceSumCore(Tensor tensor);
    /// <summary>The engine's broadcast.</summary>
    protected abstract void BroadcastCore(Tensor tensor, int root);
    /// <summary>The engine's gather of variable-length byte arrays to every rank.</summary>
    protected abstract byte[][] AllGatherCore(byte[] local);
    /// <summary>The engine's barrier.</summary>
    protected abstract void BarrierCore();

    private static void RequireHostContiguous(Tensor tensor, string what)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException($"{what}: collectives of this group need a contiguous CPU tensor.", nameof(tensor));
    }

    private WatchScope Watch(string what)
    {
        _waitingIn = what;
        Interlocked.Exchange(ref _waitingSince, Stopwatch.GetTimestamp());
        return new WatchScope(this);
    }

    /// <summary>Ends a watched collective (a struct, so the per-step averaging allocates nothing).</summary>
    private readonly struct WatchScope(ProcessGroup group) : IDisposable
    {
        public void Dispose()
        {
            long since = Interlocked.Exchange(ref group._waitingSince, 0);
            Interlocked.Add(ref group._collectiveTicks, Stopwatch.GetTimestamp() - since);
        }
    }

    private void Watch()
    {
        while (!_disposed)
        {
            Thread.Sleep(TimeSpan.FromMilliseconds(Math.Clamp(Timeout.TotalMilliseconds / 10, 50, 1000)));
            long since = Interlocked.Read(ref _waitingSince);
            if (since == 0 || Stopwatch.GetElapsedTime(since) < Timeout) continue;
            Abort($"rank {Rank} of {WorldSize} waited {Timeout.TotalSeconds:0.#} s in {_waitingIn} for the other ranks " +
                  $"(TrainingArguments.DdpTimeout): another rank has died, hung, or taken a different path through the loop " +
                  $"(a hook that decides differently on each rank). Aborting every rank.", WatchdogExitCode);
            return;
        }
    }

    /// <summary>Stops the watchdog.</summary>
    public virtual void Dispose()
    {
        _disposed = true;
        GC.SuppressFinalize(this);
    }
}
