namespace Dsl.Distributed.Tests.Launching;

/// <summary>The MPI implementations the tests launch the worker with.</summary>
public enum Mpi
{
    /// <summary>MPICH (Debian's mpich: Hydra's mpiexec, ch4:ucx), the MPICH ABI.</summary>
    Mpich,

    /// <summary>Open MPI 4 (Debian's openmpi-bin), the Open MPI ABI.</summary>
    OpenMpi,
}

/// <summary>Where each MPI's launcher is, and why a test that needs one cannot run here.</summary>
internal static class Launchers
{
    /// <summary>MPICH's mpirun: DSL_MPIRUN, or mpirun.mpich on PATH.</summary>
    public static string? MpichRun { get; } = Environment.GetEnvironmentVariable("DSL_MPIRUN") is { Length: > 0 } configured
        ? configured
        : OnPath("mpirun.mpich");

    /// <summary>Open MPI's mpirun: mpirun.openmpi on PATH.</summary>
    public static string? OpenMpiRun { get; } = OnPath("mpirun.openmpi");

    /// <summary>Why <paramref name="mpi"/> cannot be launched here, or null when it can.</summary>
    public static string? MissingReason(Mpi mpi) => mpi switch
    {
        Mpi.Mpich when MpichRun is null =>
            "No MPICH: mpirun.mpich is not on PATH (apt-get install -y mpich libmpich-dev, as .ci/run does; or set DSL_MPIRUN).",
        Mpi.OpenMpi when OpenMpiRun is null =>
            "No Open MPI: mpirun.openmpi is not on PATH (apt-get install -y openmpi-bin libopenmpi-dev, as .ci/run does).",
        _ => null,
    };

    /// <summary>The launcher's command line for <paramref name="ranks"/> ranks on this host, up to the program.</summary>
    public static List<string> Command(Mpi mpi, int ranks) => mpi switch
    {
        Mpi.Mpich => [MpichRun ?? throw new InvalidOperationException(MissingReason(mpi)), "-np", MpiJob.Text(ranks)],
        // Open MPI refuses root without the flag (CI runs as root), and counts cores as slots without --oversubscribe.
        _ => [OpenMpiRun ?? throw new InvalidOperationException(MissingReason(mpi)), "--allow-run-as-root", "--oversubscribe", "-np", MpiJob.Text(ranks)],
    };

    /// <summary>The full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? OnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>A fact that needs MPICH: skipped, with the reason, where it is missing.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (Launchers.MissingReason(Mpi.Mpich) is { } reason) Skip = reason;
    }
}

/// <summary>A theory that needs MPICH: skipped, with the reason, where it is missing.</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (Launchers.MissingReason(Mpi.Mpich) is { } reason) Skip = reason;
    }
}

/// <summary>
/// A theory whose first argument is an <see cref="Mpi"/>: skipped when any MPI it names is missing (xunit 2
/// skips a theory as a whole, so the reason names the missing one and CI installs both).
/// </summary>
public sealed class EachMpiTheoryAttribute : TheoryAttribute
{
    public EachMpiTheoryAttribute()
    {
        string?[] reasons = [Launchers.MissingReason(Mpi.Mpich), Launchers.MissingReason(Mpi.OpenMpi)];
        if (reasons.Any(r => r is not null)) Skip = string.Join(" ", reasons.Where(r => r is not null));
    }
}
