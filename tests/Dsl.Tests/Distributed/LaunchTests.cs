using Dsl.Distributed;

namespace Dsl.Tests.Distributed;

/// <summary>Which launcher started a process, read from the variables each launcher sets (checked with each one).</summary>
public sealed class LaunchTests
{
    private static Launch Detect(params (string Name, string Value)[] variables)
    {
        var environment = variables.ToDictionary(v => v.Name, v => v.Value);
        return Launch.Detect(name => environment.GetValueOrDefault(name));
    }

    [Fact]
    public void No_launcher_variables_mean_training_alone() => Assert.Equal(Launch.Alone, Detect(("PATH", "/usr/bin")));

    [Fact]
    public void MPICH_mpiexec_is_a_PMI_launch()
    {
        var launch = Detect(("PMI_RANK", "1"), ("PMI_SIZE", "4"), ("PMI_FD", "6"), ("MPI_LOCALRANKID", "1"), ("MPI_LOCALNRANKS", "2"));
        Assert.Equal(new Launch(LaunchKind.Pmi, 1, 4, 1, "an MPICH-family mpiexec (PMI_RANK, PMI_SIZE)"), launch);
    }

    [Fact]
    public void Open_MPI_mpirun_wins_over_the_PMIx_variables_it_also_sets()
    {
        var launch = Detect(("OMPI_COMM_WORLD_RANK", "3"), ("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_LOCAL_RANK", "1"),
            ("PMIX_RANK", "3"), ("PMIX_NAMESPACE", "1497759745"));
        Assert.Equal(new Launch(LaunchKind.OpenMpi, 3, 4, 1, "Open MPI's mpirun (OMPI_COMM_WORLD_SIZE)"), launch);
    }

    [Fact]
    public void Srun_with_pmi2_is_a_PMI_launch_with_Slurm_local_ranks()
    {
        var launch = Detect(("PMI_FD", "13"), ("PMI_JOBID", "1.0"), ("PMI_RANK", "3"), ("PMI_SIZE", "4"), ("SLURM_LOCALID", "1"),
            ("SLURM_NTASKS", "4"), ("SLURM_PROCID", "3"), ("SLURM_STEP_ID", "0"), ("SLURM_STEP_NUM_TASKS", "4"));
        Assert.Equal(new Launch(LaunchKind.Pmi, 3, 4, 1, "Slurm's srun --mpi=pmi2 (PMI_RANK, SLURM_STEP_NUM_TASKS)"), launch);
    }

    [Fact]
    public void Srun_with_pmix_takes_the_size_from_the_step()
    {
        var launch = Detect(("PMIX_RANK", "1"), ("SLURM_LOCALID", "0"), ("SLURM_NTASKS", "8"), ("SLURM_PROCID", "1"),
            ("SLURM_STEP_ID", "0"), ("SLURM_STEP_NUM_TASKS", "2"));
        Assert.Equal(new Launch(LaunchKind.Pmix, 1, 2, 0, "Slurm's srun --mpi=pmix (PMIX_RANK, SLURM_STEP_NUM_TASKS)"), launch);
    }

    [Fact]
    public void Srun_without_an_MPI_plugin_is_recognised_so_that_it_can_be_refused()
    {
        var launch = Detect(("SLURM_NTASKS", "2"), ("SLURM_PROCID", "1"), ("SLURM_STEP_ID", "0"), ("SLURM_STEP_NUM_TASKS", "2"));
        Assert.Equal(LaunchKind.SlurmWithoutMpi, launch.Kind);
        Assert.Equal(2, launch.WorldSize);
    }

    [Fact]
    public void A_batch_script_is_not_a_launch_even_with_many_tasks_allocated()
    {
        // What sbatch gives its script (checked with Slurm 22.05): no SLURM_STEP_ID, so the script's own process trains alone.
        Assert.Equal(Launch.Alone, Detect(("SLURM_NTASKS", "4"), ("SLURM_PROCID", "0"), ("SLURM_LOCALID", "0"), ("SLURM_JOB_ID", "4")));
    }

    [Fact]
    public void A_launcher_variable_that_is_not_a_number_is_an_error_naming_it()
    {
        var error = Assert.Throws<FormatException>(() => Detect(("PMI_RANK", "one")));
        Assert.Contains("PMI_RANK is 'one'", error.Message);
    }
}
