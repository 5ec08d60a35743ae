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
        log.WriteLine($"the job ended {cut.Elapsed.TotalSeconds:F1} s after the cut (DdpTimeout {DdpTimeout.TotalSeconds} s):\n{ended.Output}");
        Assert.NotEqual(0, ended.ExitCode);
        Assert.True(cut.Elapsed < DdpTimeout + TimeSpan.FromSeconds(30), $"the job ended {cut.Elapsed} after the cut:\n{ended.Output}");
        Assert.Contains("TrainingArguments.DdpTimeout", ended.Output);
        Assert.False(File.Exists(Path.Combine(ended.ResultDirectory, "rank-0.json")), "rank 0 finished training without rank 1");
        foreach (string checkpoint in Checkpoint.Sorted(output)) Checkpoint.VerifyChecksums(checkpoint);

        var resumed = MpiJob.RunOnHosts(hosts, mpi, 1, hosts[$"{mpi}/cut-resumed"], $"{settings} --output {output} --resume last");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Equal(40, resumed.Rank(0)["global_step"]!.GetValue<int>());
        foreach (int rank in new[] { 0, 1 }) AssertSameWeights(reference.Rank(rank), resumed.Rank(rank), 0);
    }
}
