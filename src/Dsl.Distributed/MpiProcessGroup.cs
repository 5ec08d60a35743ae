using Dsl.Distributed.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Distributed;

/// <summary>
/// A <see cref="ProcessGroup"/> over MPI_COMM_WORLD, through this package's own binding of the dozen MPI
/// calls it needs (<see cref="MpiAbi"/>), for MPICH-ABI libraries and Open MPI alike.
/// </summary>
public sealed unsafe class MpiProcessGroup : ProcessGroup
{
    private readonly MpiAbi _mpi;

    private MpiProcessGroup(MpiAbi mpi, int rank, int worldSize, string library, string version) : base(rank, worldSize)
    {
        _mpi = mpi;
        Library = library;
        LibraryVersion = version;
    }

    /// <inheritdoc/>
    public override string Backend => "mpi";

    /// <summary>The MPI library this process loaded (a file name or path).</summary>
    public string Library { get; }

    /// <summary>The library's <c>MPI_Get_library_version</c> text.</summary>
    public string LibraryVersion { get; }

    /// <summary>The ABI bound: <c>MPICH ABI</c> or <c>Open MPI ABI</c>.</summary>
    public string Abi => _mpi.Name;

    /// <summary>
    /// Loads the launcher's MPI library, initialises MPI (thread level MULTIPLE, so the watchdog may abort) and
    /// joins MPI_COMM_WORLD. MPI_Init waits for every rank: if one died before reaching it, the launcher does not
    /// always notice, so after <paramref name="timeout"/> this rank ends itself with a message.
    /// </summary>
    internal static MpiProcessGroup Initialize(Launch launch, TimeSpan timeout)
    {
        var (mpi, library, version) = MpiLibrary.Load(launch, System.Environment.GetEnvironmentVariable);
        bool initialized = mpi.Initialized();
        if (!initialized)
        {
            using var joined = new ManualResetEventSlim();
            var watch = new Thread(() =>
            {
                if (joined.Wait(timeout)) return;
                string message = $"rank {launch.Rank} waited {timeout.TotalSeconds:0.#} s in MPI_Init for the other ranks " +
                                 "(TrainingArguments.DdpTimeout): another rank died or stopped before training started.";
                Console.Error.WriteLine("Error: " + message);
                Console.Error.Flush();
                Thread.Sleep(TimeSpan.FromSeconds(1));   // let the launcher pass the message on
                System.Environment.FailFast(message);
            }) { IsBackground = true, Name = "Dsl MPI_Init watchdog" };
            watch.Start();
            mpi.Check(mpi.InitThread(MpiAbi.ThreadMultiple, out _), "MPI_Init_thread");
            joined.Set();
            watch.Join();
        }
        // Errors come back as return codes (turned into exceptions here) rather than ending the process silently.
        mpi.ReturnErrors();
        int rank = mpi.Rank(), size = mpi.Size();
        if (size != launch.WorldSize)
            throw new InvalidOperationException(
                $"MPI counted {size} rank(s) where {launch.Launcher} started {launch.WorldSize}: the library {library} " +
                $"('{version.Split('\n')[0].Trim()}') does not speak this launcher's protocol, so every rank started alone. " +
                "Launch with the library's own mpirun, or under Slurm pick the plugin it supports (srun --mpi=pmi2 for MPICH, " +
                "--mpi=pmix for Open MPI); see docs/distributed.md.");
        var group = new MpiProcessGroup(mpi, rank, size, library, version);
        if (!initialized) AppDomain.CurrentDomain.ProcessExit += group.OnProcessExit;
        return group;
    }

    // A rank that exits with an error code (Environment.Exit) ends the whole job at once, with a message:
    // MPI_Finalize would wait for ranks that are still inside a collective. A clean exit finalizes without
    // a time limit, since rank 0 may legitimately work on alone (an export, a last evaluation); a rank that
    // waits in a collective meanwhile is still under its watchdog. So does a preempted run, whose ranks all
    // exit with the same code after agreeing to (EndingTogether). (An unhandled exception ends the process
    // without this event; the launcher then ends the others.)
    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (System.Environment.ExitCode != 0 && !EndingTogether)
        {
            Abort($"rank {Rank} of {WorldSize} is exiting with code {System.Environment.ExitCode}; ending the other ranks.",
                System.Environment.ExitCode);
            return;
        }
        if (!_mpi.Finalized()) _mpi.Finalize();
    }

    /// <inheritdoc/>
    protected override void AllReduceSumCore(Tensor tensor)
    {
        var type = tensor.dtype switch
        {
            ScalarType.Float32 => MpiType.Float,
            ScalarType.Float64 => MpiType.Double,
            ScalarType.Int64 => MpiType.LongLong,
            _ => throw new NotSupportedException($"Summing {tensor.dtype} tensors over MPI is not supported; use float32, float64 or int64."),
        };
        int count = checked((int)tensor.NumberOfElements);
        // The tensor's own memory (contiguous, on the CPU: checked by the caller), summed in place.
        fixed (byte* data = tensor.bytes)
            _mpi.Check(_mpi.AllReduceSumInPlace(data, count, type), "MPI_Allreduce");
    }

    /// <inheritdoc/>
    protected override void BroadcastCore(Tensor tensor, int root)
    {
        int bytes = checked((int)(tensor.NumberOfElements * tensor.ElementSize));
        fixed (byte* data = tensor.bytes)
            _mpi.Check(_mpi.Broadcast(data, bytes, root), "MPI_Bcast");
    }

    /// <inheritdoc/>
    protected override byte[][] AllGatherCore(byte[] local)
    {
        var lengths = new int[WorldSize];
        fixed (int* all = lengths)
            _mpi.Check(_mpi.AllGatherInt(local.Length, all), "MPI_Allgather");
        var offsets = new int[WorldSize];
        for (int r = 1; r < WorldSize; r++) offsets[r] = checked(offsets[r - 1] + lengths[r - 1]);
        var gathered = new byte[checked(offsets[^1] + lengths[^1])];
        fixed (byte* send = local, receive = gathered)
        fixed (int* counts = lengths, displacements = offsets)
            _mpi.Check(_mpi.AllGatherBytes(send, local.Length, receive, counts, displacements), "MPI_Allgatherv");
        var result = new byte[WorldSize][];
        for (int r = 0; r < WorldSize; r++) result[r] = gathered.AsSpan(offsets[r], lengths[r]).ToArray();
        return result;
    }

    /// <inheritdoc/>
    protected override void BarrierCore() => _mpi.Check(_mpi.Barrier(), "MPI_Barrier");

    /// <inheritdoc/>
    public override void Abort(string message, int exitCode)
    {
        Console.Out.Flush();
        Console.Error.WriteLine("Error: " + message);
        Console.Error.Flush();
        // The launcher forwards a rank's output through a proxy that MPI_Abort kills at once: give it time to pass the message on.
        Thread.Sleep(TimeSpan.FromSeconds(1));
        _mpi.Abort(exitCode);
        System.Environment.FailFast(message);   // MPI_Abort does not return; in case it does
    }
}
