using System.Diagnostics;
using Dsl.Checkpoints;
using Dsl.Distributed.Tests.Launching;
using Xunit.Abstractions;
using static Dsl.Distributed.Tests.Launching.Results;

namespace Dsl.Distributed.Tests;

/// <summary>
/// The link between two namespaced hosts cut in the middle of training (issue 25, item 4): no process dies and no
/// packet says so (ip link set ... down drops them silently), so only the collectives' watchdog can tell. Every rank
/// must end with its message within DdpTimeout, and the last complete checkpoint resume exactly once the link is back.
/// </summary>
public sealed class LinkCutTests(NamespaceHosts hosts, ITestOutputHelper log) : IClassFixture<NamespaceHosts>
{
    private static readonly TimeSpan DdpTimeout = TimeSpan.FromSeconds(20);

    [HostsTheory]
    [InlineData(Mpi.Mpich)]
    public async Task A_link_cut_between_hosts_ends_every_rank_within_DdpTimeout_and_the_last_checkpoint_resumes_exactly(Mpi mpi)
    {
        // One rank on each host, 40 steps (a checkpoint every 5); each step waits 100 ms so the cut lands mid-run.
        const string settings = "--batch 8 --dropout 0.2 --epochs 2 --save-steps 5 --timeout 20";
        var reference = MpiJob.RunOnHosts(hosts, mpi, 1, hosts[$"{mpi}/cut-reference"], $"{settings} --output {hosts[$"{mpi}/cut-reference-out"]}");
        Assert.True(reference.ExitCode == 0, reference.Output);

        string output = hosts[$"{mpi}/cut-out"];
        var job = Task.Run(() => MpiJob.RunOnHosts(hosts, mpi, 1, hosts[$"{mpi}/cut"], $"{settings} --output {output} --sleep-ms 100", timeoutSeconds: 240));
        var wait = Stopwatch.StartNew();
        while (!Directory.Exists(Checkpoint.PathFor(output, 10)) && !job.IsCompleted && wait.Elapsed < TimeSpan.FromMinutes(3)) await Task.Delay(20);
        if (job.IsCompleted) Assert.Fail("the job ended before the link was cut:\n" + (await job).Output);
        // The second host's cable, pulled at the switch: its eth0 stays up and sees nothing more.
        string link = $"{hosts.Name}-sw";
        var cut = Stopwatch.StartNew();
        Assert.Equal(0, MpiJob.Tool("ip", "-n", link, "link", "set", "h2", "down").ExitCode);
        MpiJob.Outcome ended;
        try
        {
            ended = await job;
        }
        finally
        {
            MpiJob.Tool("ip", "-n", link, "link", "set", "h2", "up");
        }
        var seconds = cut.Elapsed;
        // The second host's rank heard nothing either: its own watchdog must end it (its output cannot cross the cut).
        while (WorkersOn(hosts.Hosts[1]) > 0 && cut.Elapsed < DdpTimeout + TimeSpan.FromSeconds(30)) await Task.Delay(200);
        Assert.True(WorkersOn(hosts.Hosts[1]) == 0, $"rank 1 on {hosts.Hosts[1]} still runs {cut.Elapsed} after the cut");
        log.WriteLine($"the job ended {seconds.TotalSeconds:F1} s after the cut (DdpTimeout {DdpTimeout.TotalSeconds} s), rank 1 by " +
                      $"{cut.Elapsed.TotalSeconds:F1} s:\n{ended.Output}");
        // The cable back in: wait until the hosts reach each other again (neighbour entries failed while it was out).
        for (int tries = 0; tries < 30 && MpiJob.Tool("ip", "netns", "exec", hosts.Hosts[1], "ping", "-c", "1", "-W", "1", "10.77.0.1").ExitCode != 0; tries++)
            await Task.Delay(500);
        Assert.NotEqual(0, ended.ExitCode);
        Assert.True(seconds < DdpTimeout + TimeSpan.FromSeconds(30), $"the job ended {seconds} after the cut:\n{ended.Output}");
        Assert.Contains("TrainingArguments.DdpTimeout", ended.Output);
        Assert.False(File.Exists(Path.Combine(ended.ResultDirectory, "rank-0.json")), "rank 0 finished training without rank 1");
        foreach (string checkpoint in Checkpoint.Sorted(output)) Checkpoint.VerifyChecksums(checkpoint);

        var resumed = MpiJob.RunOnHosts(hosts, mpi, 1, hosts[$"{mpi}/cut-resumed"], $"{settings} --output {output} --resume last");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Equal(40, resumed.Rank(0)["global_step"]!.GetValue<int>());
        foreach (int rank in new[] { 0, 1 }) AssertSameWeights(reference.Rank(rank), resumed.Rank(rank), 0);
    }

    // The worker processes still running in a host's network namespace.
    private static int WorkersOn(string host)
    {
        var (_, pids) = MpiJob.Tool("ip", "netns", "pids", host);
        return pids.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(pid => IsWorker(pid.Trim()));
    }

    private static bool IsWorker(string pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains("Dsl.Tests.MpiWorker", StringComparison.Ordinal); }
        catch (IOException) { return false; }   // it ended meanwhile
    }
}
