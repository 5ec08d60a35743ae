namespace Dsl.Distributed;

/// <summary>
/// Decides whether this process is one rank of a data-parallel job: from the launcher's environment
/// (<see cref="Launch"/>: MPICH's or Open MPI's mpirun, Slurm's srun) and <see cref="TrainingArguments.DdpBackend"/>.
/// The group is created once per process, by the engine of the <c>Dsl.Distributed</c> package
/// (<see cref="DistributedEngine"/>), and shared by every training and evaluation run in it.
/// </summary>
public static class DistributedLaunch
{
    private static readonly Lock Gate = new();
    private static ProcessGroup? _group;

    /// <summary>The group this process joined, once a run under mpirun has started; null before or when training alone.</summary>
    public static ProcessGroup? Current => _group;

    /// <summary>This rank's index among the ranks on its host (MPICH's <c>MPI_LOCALRANKID</c>, Open MPI's or Slurm's); 0 when unknown.</summary>
    public static int LocalRank => Launch.Current.LocalRank;

    /// <summary>The ranks the launcher started; 1 when no launcher started this process.</summary>
    public static int LaunchedWorldSize => Launch.Current.WorldSize;

    /// <summary>
    /// The process group of a data-parallel run with <paramref name="args"/>, or null when this process
    /// trains alone (not launched by mpirun, or launched as a single rank): then nothing changes.
    /// </summary>
    /// <exception cref="ArgumentException">A backend that is not supported, an MPI backend without an MPI launcher, or a bad DDP setting.</exception>
    /// <exception cref="InvalidOperationException">srun without an MPI plugin, or the engine's package is not referenced.</exception>
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

        var launch = Launch.Current;
        if (backend == "mpi" && launch.Kind == LaunchKind.None)
            throw new ArgumentException(
                "TrainingArguments.DdpBackend is 'mpi' but this process was not started by an MPI launcher (no PMI_RANK, " +
                "OMPI_COMM_WORLD_SIZE or PMIX_RANK); run it with: mpirun -np N dotnet <program>.dll, or srun --mpi=pmi2|pmix.", nameof(args));
        if (launch.Kind == LaunchKind.SlurmWithoutMpi)
            throw new InvalidOperationException(
                $"This process is task {launch.Rank} of {launch.WorldSize} started by {launch.Launcher}: each task would train alone. " +
                "Start the tasks with an MPI plugin: srun --mpi=pmi2 (MPICH) or srun --mpi=pmix (Open MPI); see docs/distributed.md.");
        if (launch.WorldSize < 2) return null;

        lock (Gate)
        {
            _group ??= DistributedEngine.Find(launch).Join(launch, TimeSpan.FromSeconds(args.DdpTimeout));
            _group.Timeout = TimeSpan.FromSeconds(args.DdpTimeout);
            return _group;
        }
    }
}
