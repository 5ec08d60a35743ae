using System.Diagnostics;
using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using Dsl.Distributed.Tests.Launching;
using Dsl.Tests.Support;
using Xunit.Abstractions;

namespace Dsl.Distributed.Tests;

/// <summary>
/// Faults across ranks on one host (issue 25, item 4): a rank killed (SIGKILL) during the gradient averaging, during a
/// checkpoint save and during an evaluation's gathering, and a full disk at rank 0's save. Each ends every rank, with
/// a message naming what happened, well within DdpTimeout; then a fresh mpirun resumes from the last complete
/// checkpoint and ends with exactly the weights of a run that was never interrupted.
/// </summary>
public sealed class RankFaultTests(ITestOutputHelper log) : IDisposable
{
    // 320 examples, batch 8 on 2 ranks: 20 steps an epoch, 40 in all; a checkpoint every 5 steps, an evaluation every 15.
    private const string Settings = "--batch 8 --dropout 0.2 --epochs 2 --save-steps 5 --eval-steps 15 --timeout 60";
    private static readonly TimeSpan DdpTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private MpiJob.Outcome Reference(string settings)
    {
        var reference = MpiJob.Run(2, _temp["reference"], $"{settings} --output {_temp["reference-out"]}");
        Assert.True(reference.ExitCode == 0, reference.Output);
        return reference;
    }

    private static void AssertSameWeights(JsonObject expected, JsonObject actual)
    {
        var a = expected["weights"]!.AsObject();
        var b = actual["weights"]!.AsObject();
        Assert.Equal(a.Select(p => p.Key).Order(), b.Select(p => p.Key).Order());
        foreach (var (name, values) in a)
            Assert.True(values!.ToJsonString() == b[name]!.ToJsonString(), $"{name} differs after the resume");
    }

    // The job ended: non-zero, before DdpTimeout, no rank finished training, and no folder named checkpoint-N is half written.
    private static void AssertEndedEverywhere(MpiJob.Outcome crashed, string output, string resultDirectory)
    {
        Assert.NotEqual(0, crashed.ExitCode);
        Assert.True(crashed.Elapsed < DdpTimeout, $"the job took {crashed.Elapsed} to end (DdpTimeout {DdpTimeout}):\n{crashed.Output}");
        Assert.False(File.Exists(Path.Combine(resultDirectory, "rank-0.json")), "rank 0 finished training without rank 1");
        Assert.False(File.Exists(Path.Combine(resultDirectory, "rank-1.json")), "rank 1 finished training");
        foreach (string checkpoint in Checkpoint.Sorted(output)) Checkpoint.VerifyChecksums(checkpoint);
    }

    private void AssertResumesExactly(MpiJob.Outcome reference, string output, string settings, int lastComplete)
    {
        Assert.Equal(Checkpoint.PathFor(output, lastComplete), Checkpoint.Last(output));
        var resumed = MpiJob.Run(2, _temp["resumed"], $"{settings} --output {output} --resume last");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Equal(40, resumed.Rank(0)["global_step"]!.GetValue<int>());
        AssertSameWeights(reference.Rank(0), resumed.Rank(0));
        AssertSameWeights(reference.Rank(1), resumed.Rank(1));
    }

    [MpiTheory]
    [InlineData("--kill-in-step 13", "rank 1: killing itself (SIGKILL) in the train step of step 13", 10)]   // rank 0 waits in the averaging
    [InlineData("--kill-in-eval 15", "rank 1: killing itself (SIGKILL) in the evaluation at step 15", 10)]   // rank 0 waits in the gathering
    public void A_rank_killed_in_a_collective_ends_every_rank_and_the_last_complete_checkpoint_resumes_exactly(string fault, string said, int lastComplete)
    {
        var reference = Reference(Settings);
        string output = _temp["output"];
        var crashed = MpiJob.Run(2, _temp["crashed"], $"{Settings} --output {output} {fault}", timeoutSeconds: 240);
        AssertEndedEverywhere(crashed, output, _temp["crashed"]);
        Assert.Contains(said, crashed.Output);
        // mpirun (Hydra) ends the others at once and says so: "BAD TERMINATION ... Killed (signal 9)".
        Assert.Contains("YOUR APPLICATION TERMINATED WITH THE EXIT STRING: Killed (signal 9)", crashed.Output);
        AssertResumesExactly(reference, output, Settings, lastComplete);
    }

    [MpiFact]
    public void Rank_0_killed_while_it_writes_a_checkpoint_leaves_no_half_checkpoint_and_the_last_complete_one_resumes_exactly()
    {
        // A wider net (8 → 500 → 500 → 2: 255,000 parameters), so that writing a checkpoint takes long enough to be caught at it.
        const string settings = Settings + " --width 500";
        var reference = Reference(settings);
        string output = _temp["output"], results = _temp["crashed"];
        string writing = Path.Combine(output, "tmp-checkpoint-20");
        bool caughtWriting = false;
        var killer = Task.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            while (!Directory.Exists(writing) && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(1);
            caughtWriting = Directory.Exists(writing);
            Process.GetProcessById(int.Parse(File.ReadAllText(Path.Combine(results, "pid-0")))).Kill();
        });
        var crashed = MpiJob.Run(2, results, $"{settings} --output {output}", timeoutSeconds: 240);
        killer.Wait();
        AssertEndedEverywhere(crashed, output, results);
        Assert.Contains("YOUR APPLICATION TERMINATED WITH THE EXIT STRING: Killed (signal 9)", crashed.Output);
        // Killed in the middle of the write (or, on a slow poll, just after it): checkpoint-20 is whole or absent.
        int lastComplete = Directory.Exists(Checkpoint.PathFor(output, 20)) ? 20 : 15;
        log.WriteLine(caughtWriting ? $"rank 0 was killed while tmp-checkpoint-20 was being written; the last complete checkpoint is {lastComplete}"
                                    : "the poll was late: rank 0 was killed just after checkpoint-20 was renamed into place");
        Assert.True(caughtWriting || lastComplete == 20, crashed.Output);
        AssertResumesExactly(reference, output, settings, lastComplete);
        Assert.Empty(Directory.GetDirectories(output, "tmp-checkpoint-*"));   // the resumed run cleared what the kill left
    }

    [MpiSmallDiskFact]
    public void A_full_disk_at_rank_0s_save_ends_every_rank_naming_the_file_and_the_previous_checkpoint_resumes_exactly()
    {
        var reference = Reference(Settings);
        using var disk = new SmallDisk(1 << 20);
        string output = disk["results"];
        var crashed = MpiJob.Run(2, _temp["crashed"], $"{Settings} --output {output} --fill-disk-after-save 10", timeoutSeconds: 240);
        AssertEndedEverywhere(crashed, output, _temp["crashed"]);
        Assert.Contains($"No space left on device writing {Path.Combine(output, "tmp-checkpoint-15")}{Path.DirectorySeparatorChar}", crashed.Output);
        Assert.Contains($"{Checkpoint.PathFor(output, 10)} is complete and kept", crashed.Output);
        Assert.False(Directory.Exists(Path.Combine(output, "tmp-checkpoint-15")));
        disk.Free();
        AssertResumesExactly(reference, output, Settings, 10);
    }
}

/// <summary>A fact that needs an MPI runtime and a tmpfs it can fill: skipped, with the reason, where either is missing.</summary>
public sealed class MpiSmallDiskFactAttribute : FactAttribute
{
    public MpiSmallDiskFactAttribute()
    {
        if ((Launchers.MissingReason(Mpi.Mpich) ?? SmallDisk.Unavailable) is { } reason) Skip = reason;
    }
}
