using Dsl.Distributed.Tests.Launching;
using static Dsl.Distributed.Tests.Launching.Results;

namespace Dsl.Distributed.Tests;

/// <summary>
/// Ranks started by Slurm on a two-node cluster made of namespaced hosts (slurmctld and slurmd started by the
/// fixture): srun with PMI2 for MPICH and PMIx for Open MPI, a batch script as docs/distributed.md shows it,
/// and srun without an MPI plugin refused with a message.
/// </summary>
public sealed class SlurmTests(SlurmCluster cluster) : IClassFixture<SlurmCluster>
{
    [SlurmTheory]
    [InlineData(Mpi.Mpich, "pmi2", "MPICH ABI")]
    [InlineData(Mpi.OpenMpi, "pmix", "Open MPI ABI")]
    public void Srun_starts_two_ranks_on_two_nodes_that_train_as_one_process_with_twice_the_batch(Mpi mpi, string plugin, string abi)
    {
        var single = MpiJob.Run(1, cluster.Hosts[$"{mpi}/single"], "--batch 16");
        Assert.True(single.ExitCode == 0, single.Output);
        string results = cluster.Hosts[$"{mpi}/ranks"];
        var job = cluster.Run(["srun", "--nodes=2", "--ntasks=2", $"--mpi={plugin}", .. MpiJob.WorkerCommand(results, "--batch 8")], results);
        Assert.True(job.ExitCode == 0, job.Output);

        var rank0 = job.Rank(0);
        var rank1 = job.Rank(1);
        Assert.Equal(cluster.Hosts.Hosts[0], (string?)rank0["host"]);
        Assert.Equal(cluster.Hosts.Hosts[1], (string?)rank1["host"]);
        Assert.Equal(abi, (string?)rank0["abi"]);
        AssertTrainedAlike(single.Rank(0), rank0, steps: 20);
        AssertSameWeights(rank0, rank1, 0);
    }

    [SlurmFact]
    public void A_batch_script_that_sruns_the_program_trains_on_every_node()
    {
        // The shape of docs/distributed.md's script: sbatch allocates, srun starts one rank per task on the nodes.
        string results = cluster.Hosts["batch/ranks"];
        string script = cluster.Hosts["batch/train.sbatch"];
        Directory.CreateDirectory(Path.GetDirectoryName(script)!);
        File.WriteAllText(script, $"""
            #!/bin/bash
            #SBATCH --job-name=dsl-train
            #SBATCH --nodes=2
            #SBATCH --ntasks-per-node=1
            #SBATCH --output={cluster.Hosts["batch/slurm-%j.out"]}
            export OMP_NUM_THREADS=1
            srun --mpi=pmi2 {string.Join(' ', MpiJob.WorkerCommand(results, "--batch 8 --max-steps 5"))}

            """);
        var job = cluster.Run(["sbatch", "--wait", script], results);
        string log = string.Join("\n", Directory.GetFiles(cluster.Hosts["batch"], "slurm-*.out").Select(File.ReadAllText));
        Assert.True(job.ExitCode == 0, job.Output + log);
        Assert.Equal(2, job.Rank(0)["world_size"]!.GetValue<int>());
        Assert.Equal(5, job.Rank(1)["global_step"]!.GetValue<int>());
        Assert.Equal(cluster.Hosts.Hosts[1], (string?)job.Rank(1)["host"]);
    }

    [SlurmFact]
    public void A_job_Slurm_signals_with_SIGTERM_saves_its_last_step_and_srun_exits_with_75()
    {
        // What preemption and the time limit do (and scancel --signal=TERM): SIGTERM to every task, on every node.
        string results = cluster.Hosts["preempted/ranks"], output = cluster.Hosts["preempted/out"];
        var job = cluster.Run(["srun", "--nodes=2", "--ntasks=2", "--mpi=pmi2",
                .. MpiJob.WorkerCommand(results, $"--batch 8 --epochs 2 --output {output} --announce 1 --sleep-ms 50")], results,
            onOutput: ("rank 1 finished step 3", _ => cluster.Run(["scancel", "--signal=TERM", "--jobname=dsl-preempted"], results)),
            jobName: "dsl-preempted");
        Assert.True(job.ExitCode == Dsl.Checkpoints.Preemption.ExitCode, job.Output);
        Assert.Contains("Training stopped by SIGTERM after step", job.Output);
        var checkpoint = Assert.Single(Directory.GetDirectories(output, "checkpoint-*"));
        Assert.True(File.Exists(Path.Combine(checkpoint, "rng_state_1.bin")), checkpoint);
    }

    [SlurmFact]
    public void Srun_without_an_MPI_plugin_is_refused_with_a_message_naming_the_plugins()
    {
        string results = cluster.Hosts["none/ranks"];
        var job = cluster.Run(["srun", "--nodes=2", "--ntasks=2", "--mpi=none", .. MpiJob.WorkerCommand(results, "--batch 8")], results, timeoutSeconds: 120);
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("started by Slurm's srun without an MPI plugin (SLURM_PROCID, no PMI_RANK or PMIX_RANK): each task would train alone. " +
                        "Start the tasks with an MPI plugin: srun --mpi=pmi2 (MPICH) or srun --mpi=pmix (Open MPI)", job.Output);
        Assert.False(File.Exists(Path.Combine(results, "rank-0.json")));
    }
}
