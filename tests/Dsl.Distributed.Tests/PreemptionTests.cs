using System.Globalization;
using System.Text.RegularExpressions;
using Dsl.Checkpoints;
using Dsl.Distributed.Tests.Launching;
using Dsl.Tests.Support;
using static Dsl.Distributed.Tests.Launching.Results;

namespace Dsl.Distributed.Tests;

/// <summary>
/// SIGTERM during training (a scheduler preempting the job): the step in progress finishes, every rank stops
/// after the same step, rank 0 saves it, the processes exit with <see cref="Preemption.ExitCode"/>, and
/// <c>resumeFromCheckpoint: "last"</c> ends with the weights of a run that was never stopped. Alone, under each
/// MPI with one rank signalled, and with MPICH's launcher signalled (it passes SIGTERM on to every rank).
/// </summary>
public sealed partial class PreemptionTests : IDisposable
{
    // Dropout makes the result depend on every rank's generator, which the checkpoint must restore.
    private const string Settings = "--batch 8 --dropout 0.2 --epochs 2";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [GeneratedRegex(@"Training stopped by (SIGTERM|a signal to another rank) after step (\d+): saved (\S+)\. Exiting with code 75")]
    private static partial Regex Stopped();

    // The step the run stopped after, checked against the one checkpoint it saved and every rank's RNG file.
    private static int StoppedStep(MpiJob.Outcome job, string output, int ranks, string by)
    {
        var match = Stopped().Match(job.Output);
        Assert.True(match.Success, job.Output);
        Assert.True(Stopped().Matches(job.Output).Count == 1, $"one message, from rank 0:\n{job.Output}");
        Assert.Equal(by, match.Groups[1].Value);
        int step = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        string checkpoint = Path.Combine(output, $"checkpoint-{step}");
        Assert.Equal(checkpoint, match.Groups[3].Value);
        string[] rng = ranks == 1 ? ["rng_state.bin"] : [.. Enumerable.Range(0, ranks).Select(r => $"rng_state_{r}.bin")];
        foreach (string file in rng) Assert.True(File.Exists(Path.Combine(checkpoint, file)), $"{checkpoint} has no {file}");
        Assert.False(File.Exists(Path.Combine(job.ResultDirectory, "rank-0.json")), "Train returned after the signal");
        return step;
    }

    private void AssertResumesExactly(int ranks, string output, int stoppedAt, Mpi mpi = Mpi.Mpich)
    {
        var reference = MpiJob.Run(ranks, _temp["reference"], $"{Settings} --output {_temp["reference-out"]}", mpi: mpi);
        var resumed = MpiJob.Run(ranks, _temp["resumed"], $"{Settings} --output {output} --resume last", mpi: mpi);
        Assert.True(reference.ExitCode == 0, reference.Output);
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Equal(stoppedAt, resumed.Rank(0)["first_step"]!.GetValue<int>());   // it continued from the preempted step
        Assert.Equal(80 / ranks, resumed.Rank(0)["global_step"]!.GetValue<int>());
        for (int rank = 0; rank < ranks; rank++) AssertSameWeights(reference.Rank(rank), resumed.Rank(rank), 0);
    }

    [Fact]
    public void A_process_training_alone_saves_the_step_it_was_signalled_in_and_exits_with_75()
    {
        string output = _temp["out"];
        var job = MpiJob.Run(1, _temp["stopped"], $"{Settings} --output {output} --term-at-step 7 --fault-rank 0");
        Assert.True(job.ExitCode == Preemption.ExitCode, job.Output);
        int step = StoppedStep(job, output, ranks: 1, by: "SIGTERM");
        Assert.InRange(step, 8, 12);   // the step after the hook that sent it, once .NET has handled the signal
        Assert.Single(Directory.GetDirectories(output, "checkpoint-*"));   // SaveStrategy is No: this save is the preemption's
        AssertResumesExactly(1, output, step);
    }

    [EachMpiTheory]
    [InlineData(Mpi.Mpich)]
    [InlineData(Mpi.OpenMpi)]
    public void When_one_rank_is_signalled_every_rank_stops_after_the_same_step_and_the_job_exits_with_75(Mpi mpi)
    {
        string output = _temp["out"];
        var job = MpiJob.Run(2, _temp["stopped"], $"{Settings} --output {output} --term-at-step 7", mpi: mpi);
        Assert.True(job.ExitCode == Preemption.ExitCode, job.Output);
        // Rank 1 was signalled; rank 0 learned it from the next gradient averaging, so both stopped after that step.
        int step = StoppedStep(job, output, ranks: 2, by: "a signal to another rank");
        Assert.InRange(step, 8, 12);
        Assert.DoesNotContain("ending the other ranks", job.Output);   // an orderly end, not an abort
        AssertResumesExactly(2, output, step, mpi);
    }

    [MpiFact]
    public void SIGTERM_to_MPICH_mpiexec_reaches_every_rank_and_the_run_stops_after_one_step_for_all()
    {
        // Hydra passes SIGTERM on to every rank (each at its own moment) and then exits 0 itself; the ranks exit 75.
        string output = _temp["out"];
        var job = MpiJob.Start(
            [.. Launchers.Command(Mpi.Mpich, 2), .. MpiJob.WorkerCommand(_temp["stopped"], $"{Settings} --output {output} --announce 1 --sleep-ms 50")],
            240, null, _temp["stopped"], ("rank 0 finished step 3", MpiJob.Terminate));
        int step = StoppedStep(job, output, ranks: 2, by: "SIGTERM");
        Assert.InRange(step, 4, 79);
        Assert.DoesNotContain($"rank 0 finished step {step + 1}", job.Output);
        Assert.DoesNotContain($"rank 1 finished step {step + 1}", job.Output);
        AssertResumesExactly(2, output, step);
    }
}
