using System.Globalization;

namespace Dsl.Distributed;

/// <summary>
/// Decides whether this process is one rank of a data-parallel job: from the launcher's environment
/// (MPICH's, Intel MPI's and MS-MPI's <c>mpirun</c>/<c>mpiexec</c> set <c>PMI_RANK</c> and <c>PMI_SIZE</c>)
/// and <see cref="TrainingArguments.DdpBackend"/>. The group is created once per process and shared by
/// every training and evaluation run in it.
/// </summary>
public static class DistributedLaunch
{
    private static readonly Lock Gate = new();
    private static ProcessGroup? _group;

    /// <summary>The group this process joined, once a run under mpirun has started; null before or when training alone.</summary>
    public static ProcessGroup? Current => _group;

    /// <summary>This rank's index among the ranks on its machine (MPICH's <c>MPI_LOCALRANKID</c>); 0 when unknown.</summary>
    public static int LocalRank => ReadInt("MPI_LOCALRANKID") ?? 0;

    /// <summary>The ranks the launcher started, from <c>PMI_SIZE</c>; 1 when no MPI launcher started this process.</summary>
    public static int LaunchedWorldSize => ReadInt("PMI_SIZE") ?? 1;

    /// <summary>
    /// The process group of a data-parallel run with <paramref name="args"/>, or null when this process
    /// trains alone (not launched by mpirun, or launched as a single rank): then nothing changes.
    /// </summary>
    /// <exception cref="ArgumentException">A backend that is not supported, an MPI backend without an MPI launcher, or a timeout below 1.</exception>
    public static ProcessGroup? For(TrainingArguments args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? backend = args.DdpBackend;
        if (backend is not null && backend != "mpi")
            throw new ArgumentException(
                $"TrainingArguments.DdpBackend is '{backend}'; this build supports 'mpi' (or null to follow the launcher). " +
                "See docs/distributed.md for what an NCCL backend needs.", nameof(args));
        if (args.DdpTimeout < 1)
            throw new ArgumentException($"TrainingArguments.DdpTimeout must be at least 1 second (got {args.DdpTimeout}).", nameof(args));
        if (args.DdpBucketCapMb <= 0 || !double.IsFinite(args.DdpBucketCapMb))
            throw new ArgumentException($"TrainingArguments.DdpBucketCapMb must be above 0 (got {args.DdpBucketCapMb}).", nameof(args));

        if (ReadInt("OMPI_COMM_WORLD_SIZE") is > 1)
            throw new ArgumentException(
                "This process was started by Open MPI's mpirun, whose ABI MPI.NET cannot use. Launch with an MPICH-ABI MPI " +
                "(mpirun.mpich, Intel MPI, MVAPICH); see docs/distributed.md.", nameof(args));
        bool launched = System.Environment.GetEnvironmentVariable("PMI_RANK") is not null;
        if (backend == "mpi" && !launched)
            throw new ArgumentException(
                "TrainingArguments.DdpBackend is 'mpi' but this process was not started by an MPI launcher (PMI_RANK is not set); " +
                "run it with: mpirun -np N dotnet <program>.", nameof(args));
        if (!launched || LaunchedWorldSize < 2) return null;

        lock (Gate)
        {
            _group ??= MpiProcessGroup.Initialize(TimeSpan.FromSeconds(args.DdpTimeout));
            _group.Timeout = TimeSpan.FromSeconds(args.DdpTimeout);
            return _group;
        }
    }

    private static int? ReadInt(string name) =>
        int.TryParse(System.Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : null;
}
