using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;
using Mpi = MPI.Unsafe;

namespace Dsl.Distributed;

/// <summary>
/// A <see cref="ProcessGroup"/> over MPI, through the <c>MPI.NET</c> binding. MPI.NET is built for
/// MS-MPI, whose ABI is MPICH's; on Linux a DLL-import resolver points it at an MPICH-ABI library
/// (MPICH's <c>libmpich.so.12</c>, or Intel MPI's and MVAPICH's <c>libmpi.so.12</c>, or the file named
/// by the <c>DSL_MPI_LIBRARY</c> environment variable). Open MPI has another ABI and is not supported.
/// </summary>
public sealed unsafe class MpiProcessGroup : ProcessGroup
{
    /// <summary>Names of the MPICH-ABI library tried in order after <c>DSL_MPI_LIBRARY</c>.</summary>
    public static readonly string[] LibraryNames = ["libmpich.so.12", "libmpi.so.12"];

    private static IntPtr _library;
    private byte[] _scratch = [];

    private MpiProcessGroup(int rank, int worldSize) : base(rank, worldSize) { }

    /// <inheritdoc/>
    public override string Backend => "mpi";

    /// <summary>
    /// Initialises MPI (thread level MULTIPLE, so the watchdog may abort) and joins MPI_COMM_WORLD. MPI_Init
    /// waits for every rank: if one died before reaching it, mpirun does not always notice, so after
    /// <paramref name="timeout"/> this rank ends itself with a message.
    /// </summary>
    internal static MpiProcessGroup Initialize(TimeSpan timeout)
    {
        NativeLibrary.SetDllImportResolver(typeof(Mpi).Assembly, Resolve);
        Check(Mpi.MPI_Initialized(out int initialized), "MPI_Initialized");
        if (initialized == 0)
        {
            byte** argv = null;
            int argc = 0;
            using var joined = new ManualResetEventSlim();
            var watch = new Thread(() =>
            {
                if (joined.Wait(timeout)) return;
                string message = $"rank {System.Environment.GetEnvironmentVariable("PMI_RANK")} waited {timeout.TotalSeconds:0.#} s in MPI_Init " +
                                 "for the other ranks (TrainingArguments.DdpTimeout): another rank died or stopped before training started.";
                Console.Error.WriteLine("Error: " + message);
                Console.Error.Flush();
                Thread.Sleep(TimeSpan.FromSeconds(1));   // let mpirun pass the message on
                System.Environment.FailFast(message);
            }) { IsBackground = true, Name = "Dsl MPI_Init watchdog" };
            watch.Start();
            Check(Mpi.MPI_Init_thread(ref argc, ref argv, Mpi.MPI_THREAD_MULTIPLE, out _), "MPI_Init_thread");
            joined.Set();
            watch.Join();
        }
        // Errors come back as return codes (turned into exceptions here) rather than ending the process silently.
        Check(Mpi.MPI_Errhandler_set(Mpi.MPI_COMM_WORLD, Mpi.MPI_ERRORS_RETURN), "MPI_Errhandler_set");
        Check(Mpi.MPI_Comm_rank(Mpi.MPI_COMM_WORLD, out int rank), "MPI_Comm_rank");
        Check(Mpi.MPI_Comm_size(Mpi.MPI_COMM_WORLD, out int size), "MPI_Comm_size");
        var group = new MpiProcessGroup(rank, size);
        if (initialized == 0) AppDomain.CurrentDomain.ProcessExit += group.OnProcessExit;
        return group;
    }

    // A rank that exits with an error code (Environment.Exit) ends the whole job at once, with a message:
    // MPI_Finalize would wait for ranks that are still inside a collective. A clean exit finalizes without
    // a time limit, since rank 0 may legitimately work on alone (an export, a last evaluation); a rank that
    // waits in a collective meanwhile is still under its watchdog. (An unhandled exception ends the process
    // without this event; mpirun then ends the others.)
    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (System.Environment.ExitCode != 0)
        {
            Abort($"rank {Rank} of {WorldSize} is exiting with code {System.Environment.ExitCode}; ending the other ranks.",
                System.Environment.ExitCode);
            return;
        }
        if (Mpi.MPI_Finalized(out int finalized) == 0 && finalized == 0) Mpi.MPI_Finalize();
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!name.StartsWith("msmpi", StringComparison.OrdinalIgnoreCase) || OperatingSystem.IsWindows()) return IntPtr.Zero;
        if (_library != IntPtr.Zero) return _library;
        var tried = new List<string>();
        string? configured = System.Environment.GetEnvironmentVariable("DSL_MPI_LIBRARY");
        foreach (string candidate in configured is { Length: > 0 } ? [configured, .. LibraryNames] : LibraryNames)
        {
            if (NativeLibrary.TryLoad(candidate, out _library)) return _library;
            tried.Add(candidate);
        }
        throw new DllNotFoundException(
            $"Data-parallel training needs an MPICH-ABI MPI library and none loaded (tried {string.Join(", ", tried)}). " +
            "On Debian or Ubuntu: apt-get install mpich libmpich-dev; or set DSL_MPI_LIBRARY to the library's path.");
    }

    /// <inheritdoc/>
    protected override void AllReduceSumCore(Tensor tensor)
    {
        int type = DataType(tensor.dtype);
        int count = checked((int)tensor.NumberOfElements);
        int bytes = checked(count * (int)tensor.ElementSize);
        if (_scratch.Length < bytes) _scratch = new byte[bytes];
        // A separate receive buffer: MPI.NET does not expose MPI_IN_PLACE.
        fixed (byte* data = tensor.bytes, result = _scratch)
        {
            Check(Mpi.MPI_Allreduce((IntPtr)data, (IntPtr)result, count, type, Mpi.MPI_SUM, Mpi.MPI_COMM_WORLD), "MPI_Allreduce");
            Buffer.MemoryCopy(result, data, bytes, bytes);
        }
    }

    /// <inheritdoc/>
    protected override void BroadcastCore(Tensor tensor, int root)
    {
        int bytes = checked((int)(tensor.NumberOfElements * tensor.ElementSize));
        fixed (byte* data = tensor.bytes)
            Check(Mpi.MPI_Bcast((IntPtr)data, bytes, Mpi.MPI_BYTE, root, Mpi.MPI_COMM_WORLD), "MPI_Bcast");
    }

    /// <inheritdoc/>
    protected override byte[][] AllGatherCore(byte[] local)
    {
        var lengths = new int[WorldSize];
        int length = local.Length;
        fixed (int* all = lengths)
            Check(Mpi.MPI_Allgather((IntPtr)(&length), 1, Mpi.MPI_INT, (IntPtr)all, 1, Mpi.MPI_INT, Mpi.MPI_COMM_WORLD), "MPI_Allgather");
        var offsets = new int[WorldSize];
        for (int r = 1; r < WorldSize; r++) offsets[r] = checked(offsets[r - 1] + lengths[r - 1]);
        var gathered = new byte[offsets[^1] + lengths[^1]];
        fixed (byte* send = local, receive = gathered)
            Check(Mpi.MPI_Allgatherv((IntPtr)send, local.Length, Mpi.MPI_BYTE, (IntPtr)receive, lengths, offsets, Mpi.MPI_BYTE,
                Mpi.MPI_COMM_WORLD), "MPI_Allgatherv");
        var result = new byte[WorldSize][];
        for (int r = 0; r < WorldSize; r++) result[r] = gathered.AsSpan(offsets[r], lengths[r]).ToArray();
        return result;
    }

    /// <inheritdoc/>
    protected override void BarrierCore() => Check(Mpi.MPI_Barrier(Mpi.MPI_COMM_WORLD), "MPI_Barrier");

    /// <inheritdoc/>
    public override void Abort(string message, int exitCode)
    {
        Console.Out.Flush();
        Console.Error.WriteLine("Error: " + message);
        Console.Error.Flush();
        // mpirun forwards a rank's output through a proxy that MPI_Abort kills at once: give it time to pass the message on.
        Thread.Sleep(TimeSpan.FromSeconds(1));
        Mpi.MPI_Abort(Mpi.MPI_COMM_WORLD, exitCode);
        System.Environment.FailFast(message);   // MPI_Abort does not return; in case it does
    }

    private static int DataType(ScalarType type) => type switch
    {
        ScalarType.Float32 => Mpi.MPI_FLOAT,
        ScalarType.Float64 => Mpi.MPI_DOUBLE,
        ScalarType.Int64 => Mpi.MPI_LONG_LONG,
        _ => throw new NotSupportedException($"Summing {type} tensors over MPI is not supported; use float32, float64 or int64."),
    };

    private static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error {code}.");
    }
}
