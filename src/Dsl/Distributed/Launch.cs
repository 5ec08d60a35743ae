using System.Globalization;

namespace Dsl.Distributed;

/// <summary>Which kind of launcher started this process, as far as its environment tells.</summary>
public enum LaunchKind
{
    /// <summary>No launcher: the process trains alone.</summary>
    None,

    /// <summary>
    /// A PMI launcher: MPICH's <c>mpiexec</c>/<c>mpirun.mpich</c> (Hydra), Intel MPI's, MS-MPI's, or Slurm's
    /// <c>srun --mpi=pmi2</c>. It serves MPICH-ABI libraries (MPICH, Intel MPI, MVAPICH).
    /// </summary>
    Pmi,

    /// <summary>Open MPI's <c>mpirun</c> (<c>OMPI_COMM_WORLD_*</c>). It serves Open MPI only.</summary>
    OpenMpi,

    /// <summary>A PMIx launcher without Open MPI's own variables: Slurm's <c>srun --mpi=pmix</c>, or PRRTE. Serves Open MPI.</summary>
    Pmix,

    /// <summary>Slurm's <c>srun</c> with no MPI plugin: every task would start MPI alone.</summary>
    SlurmWithoutMpi,
}

/// <summary>
/// How this process was started: by which launcher, as which rank of how many, and which rank on its host.
/// Read from the launcher's environment before MPI starts, so the engine can pick the MPI library that
/// launcher serves, and so a process that trains alone never loads MPI at all.
/// </summary>
/// <param name="Kind">The launcher's kind.</param>
/// <param name="Rank">This process's rank (0 when alone).</param>
/// <param name="WorldSize">The ranks the launcher started (1 when alone).</param>
/// <param name="LocalRank">This process's index among the ranks on its host (0 when unknown).</param>
/// <param name="Launcher">The launcher in words, with the variables that told, for messages.</param>
public sealed record Launch(LaunchKind Kind, int Rank, int WorldSize, int LocalRank, string Launcher)
{
    /// <summary>A process no launcher started.</summary>
    public static Launch Alone { get; } = new(LaunchKind.None, 0, 1, 0, "no launcher");

    /// <summary>This process's launch, from its environment variables.</summary>
    public static Launch Current => Detect(System.Environment.GetEnvironmentVariable);

    /// <summary>
    /// Reads the launch from <paramref name="environment"/> (a variable's value, or null). Open MPI's variables
    /// win over the PMI ones (Open MPI's mpirun sets PMIx's too); Slurm's step variables only count when no MPI
    /// variable is set, and the Slurm variables of a batch script (no <c>SLURM_STEP_ID</c>) never do.
    /// </summary>
    /// <exception cref="FormatException">A launcher variable that is set but is not a number.</exception>
    public static Launch Detect(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        int? Read(string name)
        {
            string? value = environment(name);
            if (value is null) return null;
            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number)
                ? number
                : throw new FormatException($"The launcher's environment variable {name} is '{value}', not a number.");
        }

        int? slurmSize = Read("SLURM_STEP_NUM_TASKS") ?? Read("SLURM_NTASKS");
        bool underSrun = environment("SLURM_STEP_ID") is { } step && step != "batch" && environment("SLURM_PROCID") is not null;
        int slurmLocal = Read("SLURM_LOCALID") ?? 0;

        if (Read("OMPI_COMM_WORLD_SIZE") is { } ompiSize)
            return new(LaunchKind.OpenMpi, Read("OMPI_COMM_WORLD_RANK") ?? 0, ompiSize, Read("OMPI_COMM_WORLD_LOCAL_RANK") ?? 0,
                "Open MPI's mpirun (OMPI_COMM_WORLD_SIZE)");
        if (Read("PMI_RANK") is { } pmiRank)
        {
            int size = Read("PMI_SIZE") ?? (underSrun ? slurmSize : null) ?? 1;
            return underSrun
                ? new(LaunchKind.Pmi, pmiRank, size, slurmLocal, "Slurm's srun --mpi=pmi2 (PMI_RANK, SLURM_STEP_NUM_TASKS)")
                : new(LaunchKind.Pmi, pmiRank, size, Read("MPI_LOCALRANKID") ?? 0, "an MPICH-family mpiexec (PMI_RANK, PMI_SIZE)");
        }
        if (Read("PMIX_RANK") is { } pmixRank)
            return new(LaunchKind.Pmix, pmixRank, (underSrun ? slurmSize : null) ?? 1, slurmLocal,
                underSrun ? "Slurm's srun --mpi=pmix (PMIX_RANK, SLURM_STEP_NUM_TASKS)" : "a PMIx launcher (PMIX_RANK)");
        if (underSrun && slurmSize is > 1)
            return new(LaunchKind.SlurmWithoutMpi, Read("SLURM_PROCID") ?? 0, slurmSize.Value, slurmLocal,
                "Slurm's srun without an MPI plugin (SLURM_PROCID, no PMI_RANK or PMIX_RANK)");
        return Alone;
    }
}
