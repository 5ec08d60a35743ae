using Dsl.Distributed.Tests.Launching;
using static Dsl.Distributed.Tests.Launching.Results;

namespace Dsl.Distributed.Tests;

/// <summary>
/// Two hosts × two ranks over TCP (Hosts/hosts.sh: each host its own network, hostname, /dev/shm, /tmp and
/// IPC, so nothing but eth0 connects them), launched by MPICH's Hydra and by Open MPI's mpirun with a host
/// file and a namespace-entering "ssh". The hosts are torn down after the class, also when a test fails.
/// </summary>
public sealed class MultiHostTests(NamespaceHosts hosts) : IClassFixture<NamespaceHosts>
{
    private const int Steps = 20;                  // 320 examples in global batches of 16
    private const int GradientBytes = 482 * 4;     // the worker's float32 parameters

    [HostsTheory]
    [InlineData(Mpi.Mpich)]
    [InlineData(Mpi.OpenMpi)]
    public void Four_ranks_on_two_hosts_with_batch_B_train_as_one_process_with_batch_4B(Mpi mpi)
    {
        var single = MpiJob.Run(1, hosts[$"{mpi}/single"], "--batch 16");
        Assert.True(single.ExitCode == 0, single.Output);
        long before = hosts.Traffic(hosts.Hosts[1]);
        var job = MpiJob.RunOnHosts(hosts, mpi, ranksPerHost: 2, hosts[$"{mpi}/ranks"], "--batch 4 --seed-by-rank 1");
        long traffic = hosts.Traffic(hosts.Hosts[1]) - before;
        Assert.True(job.ExitCode == 0, job.Output);

        // Ranks 0 and 1 on the first host, 2 and 3 on the second, as the host file says.
        string[] placed = [.. Enumerable.Range(0, 4).Select(r => (string)job.Rank(r)["host"]!)];
        Assert.Equal([hosts.Hosts[0], hosts.Hosts[0], hosts.Hosts[1], hosts.Hosts[1]], placed);
        AssertTrainedAlike(single.Rank(0), job.Rank(0), Steps);
        foreach (int rank in new[] { 1, 2, 3 }) AssertSameWeights(job.Rank(0), job.Rank(rank), 0);
        // The second host's ranks took part in every gradient averaging through its network interface: at least one
        // gradient's worth of bytes per step went over eth0 (there is no other way between the hosts).
        Assert.True(traffic >= Steps * GradientBytes, $"{traffic} bytes went through {hosts.Hosts[1]}'s eth0 in {Steps} steps");
    }

    [HostsTheory]
    [InlineData(Mpi.Mpich, "BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES", "RUNNING AT {0}")]
    [InlineData(Mpi.OpenMpi, "exited on signal 9 (Killed)", "on node {0} exited on signal 9")]
    public void A_rank_killed_on_the_second_host_ends_the_job_with_one_message_and_resuming_continues_exactly(Mpi mpi, string once, string where)
    {
        // Dropout makes the result depend on every rank's generator, which the checkpoint must restore.
        const string settings = "--batch 4 --dropout 0.2 --epochs 2";
        var reference = MpiJob.RunOnHosts(hosts, mpi, 2, hosts[$"{mpi}/reference"], $"{settings} --output {hosts[$"{mpi}/reference-out"]}");
        Assert.True(reference.ExitCode == 0, reference.Output);

        // Rank 3, on the second host, is killed with SIGKILL (no handler runs) after step 27; checkpoint-25 was saved.
        string output = hosts[$"{mpi}/resumed-out"];
        var killed = MpiJob.RunOnHosts(hosts, mpi, 2, hosts[$"{mpi}/killed"],
            $"{settings} --save-steps 5 --output {output} --kill-at-step 27 --fault-rank 3", timeoutSeconds: 240);
        Assert.NotEqual(0, killed.ExitCode);
        Assert.Contains($"rank 3 on {hosts.Hosts[1]}: killing itself (SIGKILL) after step 27", killed.Output);
        Assert.True(killed.Count(once) == 1, $"expected '{once}' once:\n{killed.Output}");
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, where, hosts.Hosts[1]), killed.Output);
        Assert.False(File.Exists(Path.Combine(killed.ResultDirectory, "rank-0.json")), "rank 0 finished training without rank 3");
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(120), $"the job took {killed.Elapsed} to end");
        string last = Path.Combine(output, "checkpoint-25");
        foreach (int rank in new[] { 0, 1, 2, 3 })
            Assert.True(File.Exists(Path.Combine(last, $"rng_state_{rank}.bin")), killed.Output);

        var resumed = MpiJob.RunOnHosts(hosts, mpi, 2, hosts[$"{mpi}/resumed"], $"{settings} --save-steps 5 --output {output} --resume last");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Equal(40, resumed.Rank(0)["global_step"]!.GetValue<int>());
        foreach (int rank in new[] { 0, 3 })
            AssertSameWeights(reference.Rank(rank), resumed.Rank(rank), 0);
    }

    [HostsTheory]
    [InlineData(Mpi.Mpich)]
    public void With_SaveOnEachNode_hosts_that_share_no_storage_each_keep_the_checkpoint_and_resume_exactly(Mpi mpi)
    {
        // OutputDir /mnt/out: each host's own storage. Rank 1, alone on the second host, is killed after step 12.
        const string settings = "--batch 8 --dropout 0.2 --epochs 1 --output /mnt/out --save-on-each-node 1";
        var reference = MpiJob.RunOnHosts(hosts, mpi, 1, hosts[$"{mpi}/each-reference"], "--batch 8 --dropout 0.2 --epochs 1");
        Assert.True(reference.ExitCode == 0, reference.Output);
        var killed = MpiJob.RunOnHosts(hosts, mpi, 1, hosts[$"{mpi}/each-killed"], $"{settings} --save-steps 5 --kill-at-step 12", timeoutSeconds: 240);
        Assert.NotEqual(0, killed.ExitCode);

        // HF's save_on_each_node: the first rank of every host wrote the whole checkpoint into its own storage.
        string[] files = [.. Directory.GetFiles(Path.Combine(NamespaceHosts.Disk(hosts.Hosts[0]), "out", "checkpoint-10")).Select(Path.GetFileName).Order()!];
        Assert.Contains("rng_state_1.bin", files);
        Assert.Equal(files, Directory.GetFiles(Path.Combine(NamespaceHosts.Disk(hosts.Hosts[1]), "out", "checkpoint-10")).Select(Path.GetFileName).Order());

        var resumed = MpiJob.RunOnHosts(hosts, mpi, 1, hosts[$"{mpi}/each-resumed"], $"{settings} --save-steps 5 --resume last");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Equal(10, resumed.Rank(0)["first_step"]!.GetValue<int>());
        foreach (int rank in new[] { 0, 1 }) AssertSameWeights(reference.Rank(rank), resumed.Rank(rank), 0);
    }
}
