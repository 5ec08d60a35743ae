using System.Diagnostics;

namespace Dsl.Distributed.Tests.Launching;

/// <summary>
/// A two-node Slurm cluster on namespaced hosts, started on first use: slurmctld and a slurmd on the first host,
/// a slurmd on the second, with a minimal slurm.conf in the shared folder (no accounting, no cgroup
/// confinement, auth/none because both daemons and srun run as root on one machine; a real cluster uses munge).
/// Everything runs inside the hosts' network namespaces, so its ports never meet another run's.
/// </summary>
public sealed class SlurmCluster : IDisposable
{
    private readonly Lock _gate = new();
    private readonly NamespaceHosts _hosts = new();
    private bool _up;

    /// <summary>The hosts the nodes run on.</summary>
    public NamespaceHosts Hosts => _hosts;

    /// <summary>slurm.conf, in the shared folder.</summary>
    public string Configuration => _hosts["slurm/slurm.conf"];

    /// <summary>Why Slurm cannot run here, or null when it can.</summary>
    public static string? MissingReason { get; } =
        NamespaceHosts.MissingReason
        ?? (new[] { "slurmctld", "slurmd", "srun", "sbatch", "sinfo" }.FirstOrDefault(t => Launchers.OnPath(t) is null) is { } missing
            ? $"No Slurm: {missing} is not on PATH (apt-get install -y slurm-wlm, as .ci/run does)."
            : null);

    /// <summary>Starts the daemons unless they run, and waits until both nodes are idle.</summary>
    public void Up()
    {
        lock (_gate)
        {
            if (_up) return;
            _up = true;
            _hosts.Up();
            string[] nodes = _hosts.Hosts;
            string dir = _hosts["slurm"];
            Directory.CreateDirectory(Path.Combine(dir, "state"));
            foreach (string node in nodes) Directory.CreateDirectory(Path.Combine(dir, "spool-" + node));
            File.WriteAllText(Configuration, $"""
                ClusterName=dsl
                SlurmctldHost={nodes[0]}
                AuthType=auth/none
                CredType=cred/none
                SlurmUser=root
                SlurmdUser=root
                StateSaveLocation={dir}/state
                SlurmdSpoolDir={dir}/spool-%n
                SlurmctldPidFile={dir}/slurmctld.pid
                SlurmdPidFile={dir}/slurmd-%n.pid
                SlurmctldLogFile={dir}/slurmctld.log
                SlurmdLogFile={dir}/slurmd-%n.log
                ProctrackType=proctrack/pgid
                TaskPlugin=task/none
                MpiDefault=none
                SelectType=select/cons_tres
                SelectTypeParameters=CR_Core
                ReturnToService=2
                JobCompType=jobcomp/none
                AccountingStorageType=accounting_storage/none
                NodeName={nodes[0]},{nodes[1]} Sockets=1 CoresPerSocket=2 ThreadsPerCore=1 State=UNKNOWN
                PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP

                """);
            Daemon(nodes[0], "slurmctld");
            Daemon(nodes[0], "slurmd");
            Daemon(nodes[1], "slurmd");

            var clock = Stopwatch.StartNew();
            string states = "";
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                var (_, output) = MpiJob.Tool(NamespaceHosts.Script, "run", nodes[0], $"SLURM_CONF={Configuration}", "sinfo", "-h", "-N", "-o", "%T");
                states = output.Trim();
                if (states.Split('\n').Count(s => s.Trim() == "idle") == 2) return;
                Thread.Sleep(500);
            }
            Assert.Fail($"The Slurm nodes did not become idle within 60 s (sinfo: {states}); logs in {dir}:\n" +
                        string.Join("\n", Directory.GetFiles(dir, "*.log").Select(f => f + ":\n" + File.ReadAllText(f))));
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> on the first host with SLURM_CONF set (and SLURM_JOB_NAME for srun and sbatch,
    /// when <paramref name="jobName"/> is given), collecting its output; see <see cref="MpiJob.Start"/> for <paramref name="onOutput"/>.
    /// </summary>
    internal MpiJob.Outcome Run(IEnumerable<string> command, string resultDirectory, int timeoutSeconds = 300,
        (string Marker, Action<System.Diagnostics.Process> Act)? onOutput = null, string? jobName = null)
    {
        Up();
        string[] name = jobName is null ? [] : [$"SLURM_JOB_NAME={jobName}"];
        return MpiJob.Start([NamespaceHosts.Script, "run", _hosts.Hosts[0], $"SLURM_CONF={Configuration}", .. name, .. command],
            timeoutSeconds, null, resultDirectory, onOutput);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _hosts.Dispose();   // ends the daemons with every other process in the hosts
            _up = false;
        }
    }

    // A daemon in the foreground (-D) of its host, its output in the shared folder; it lives until the hosts go down.
    private void Daemon(string host, string daemon)
    {
        string log = _hosts[$"slurm/{daemon}-{host}.out"];
        var start = new ProcessStartInfo("sh")
        {
            ArgumentList = { "-c", $"exec \"$0\" run {host} {daemon} -D -f {Configuration} </dev/null >{log} 2>&1", NamespaceHosts.Script },
            UseShellExecute = false,
        };
        Process.Start(start)!.Dispose();
    }
}

/// <summary>A theory that needs Slurm on namespaced hosts and both MPIs: skipped, with the reason, where one is missing.</summary>
public sealed class SlurmTheoryAttribute : TheoryAttribute
{
    public SlurmTheoryAttribute()
    {
        string?[] reasons = [SlurmCluster.MissingReason, Launchers.MissingReason(Mpi.Mpich), Launchers.MissingReason(Mpi.OpenMpi)];
        if (reasons.Any(r => r is not null)) Skip = string.Join(" ", reasons.Where(r => r is not null));
    }
}

/// <summary>A fact that needs Slurm on namespaced hosts: skipped, with the reason, where it is missing.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (SlurmCluster.MissingReason is { } reason) Skip = reason;
    }
}
