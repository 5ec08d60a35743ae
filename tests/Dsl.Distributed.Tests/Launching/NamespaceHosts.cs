namespace Dsl.Distributed.Tests.Launching;

/// <summary>
/// Two hosts made of Linux namespaces by Hosts/hosts.sh (own network, hostname, /dev/shm, /tmp, IPC), made on
/// first use and torn down on dispose (also after a failed test): MPI sees two machines that can only talk
/// over TCP. Host files, outputs and results live in <see cref="Shared"/>, outside /tmp, as on a cluster's
/// shared storage.
/// </summary>
public sealed class NamespaceHosts : IDisposable
{
    private readonly Lock _gate = new();
    private bool _up;

    /// <summary>Unique per test run, so runs on the same machine never meet.</summary>
    public string Name { get; } = "dsl" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>The hosts' names (their hostnames and network namespaces).</summary>
    public string[] Hosts => [Name + "-h1", Name + "-h2"];

    /// <summary>A folder every host sees.</summary>
    public string Shared => Path.Combine("/var/tmp", Name);

    /// <summary>hosts.sh.</summary>
    public static string Script => Path.Combine(MpiJob.Sources, "Hosts", "hosts.sh");

    /// <summary>The launchers' "ssh": a link to hosts.sh that runs a command on a host.</summary>
    public static string Ssh => Path.Combine(MpiJob.Sources, "Hosts", "ssh");

    /// <summary>Why namespaced hosts cannot be made here, or null when they can (checked once: root, ip, unshare, a test namespace).</summary>
    public static string? MissingReason { get; } = Probe();

    /// <summary>A path in <see cref="Shared"/>.</summary>
    public string this[string relative] => Path.Combine(Shared, relative);

    /// <summary>Makes the hosts unless they exist.</summary>
    public void Up()
    {
        lock (_gate)
        {
            if (_up) return;
            Directory.CreateDirectory(Shared);
            _up = true;   // from here on, Dispose tears down whatever was made
            var (code, output) = MpiJob.Tool(Script, "up", Name, "2");
            Assert.True(code == 0, $"hosts.sh up {Name} 2 failed:\n{output}");
        }
    }

    /// <summary>
    /// The launcher's command line for <paramref name="ranksPerHost"/> ranks on each host, run on the first host,
    /// up to the program: MPICH's Hydra and Open MPI's mpirun with a host file, starting the second host's
    /// ranks through <see cref="Ssh"/>.
    /// </summary>
    public List<string> Launch(Mpi mpi, int ranksPerHost)
    {
        Up();
        string np = MpiJob.Text(ranksPerHost * Hosts.Length);
        if (mpi == Mpi.Mpich)
        {
            string hostfile = this["hosts.mpich"];
            File.WriteAllLines(hostfile, Hosts.Select(h => $"{h}:{ranksPerHost}"));
            return [Script, "run", Hosts[0], "mpiexec.hydra", "-f", hostfile, "-np", np, "-launcher", "ssh", "-launcher-exec", Ssh];
        }
        string openMpiHosts = this["hosts.openmpi"];
        File.WriteAllLines(openMpiHosts, Hosts.Select(h => $"{h} slots={ranksPerHost}"));
        return [Script, "run", Hosts[0], "mpirun.openmpi", "--allow-run-as-root", "--hostfile", openMpiHosts, "-np", np,
            "--mca", "plm_rsh_agent", Ssh, "--mca", "oob_tcp_if_include", "eth0", "--mca", "btl_tcp_if_include", "eth0"];
    }

    /// <summary>The folder of the machine that <paramref name="host"/> sees as /mnt: storage the other host does not see.</summary>
    public static string Disk(string host) => $"/var/tmp/{host}.disk";

    /// <summary>Bytes received and sent on <paramref name="host"/>'s network interface so far.</summary>
    public long Traffic(string host)
    {
        var (code, output) = MpiJob.Tool(Script, "traffic", host);
        Assert.True(code == 0, output);
        return long.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (!_up) return;
            MpiJob.Tool(Script, "down", Name);
            try { Directory.Delete(Shared, recursive: true); } catch (IOException) { }
            _up = false;
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "Namespaced hosts need Linux.";
        if (Environment.UserName != "root") return $"Namespaced hosts need root (ip netns add, unshare); running as {Environment.UserName}.";
        foreach (string tool in new[] { "ip", "unshare" })
            if (Launchers.OnPath(tool) is null) return $"Namespaced hosts need '{tool}' (iproute2, util-linux), which is not on PATH.";
        string probe = "dsl-probe-" + Environment.ProcessId;
        var (code, output) = MpiJob.Tool("ip", "netns", "add", probe);
        if (code != 0) return $"Namespaced hosts cannot be made here: 'ip netns add' failed: {output.Trim()}";
        MpiJob.Tool("ip", "netns", "del", probe);
        return null;
    }
}

/// <summary>A theory over <see cref="Mpi"/> on namespaced hosts: skipped, with the reason, where hosts or an MPI are missing.</summary>
public sealed class HostsTheoryAttribute : TheoryAttribute
{
    public HostsTheoryAttribute()
    {
        string?[] reasons = [NamespaceHosts.MissingReason, Launchers.MissingReason(Mpi.Mpich), Launchers.MissingReason(Mpi.OpenMpi)];
        if (reasons.Any(r => r is not null)) Skip = string.Join(" ", reasons.Where(r => r is not null));
    }
}
