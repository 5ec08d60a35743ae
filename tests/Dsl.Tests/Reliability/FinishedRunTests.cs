using Dsl.Checkpoints;
using Dsl.Tests.Support;

namespace Dsl.Tests.Reliability;

/// <summary>Resuming a finished run is a no-op that says so (issue 12, defect 2; HF returns at once).</summary>
[Collection(TorchState.Name)]
public sealed class FinishedRunTests
{
    [Fact]
    public void Resuming_a_finished_run_trains_nothing_keeps_its_checkpoints_and_says_so()
    {
        using var temp = new TempDirectory();
        // 8 batches an epoch; 5 steps is not a whole number of epochs.
        var args = Args.Quiet(temp.Path) with
        {
            SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, MaxSteps = 5, SaveTotalLimit = 2, ReportTo = ["console"],
        };
        var data = SampleData.Make(64);
        var quiet = Console.Out;
        Console.SetOut(TextWriter.Null);
        try
        {
            new ParityTrainer(TinyNet.Create(), args).Train(data);
            var kept = Checkpoint.Sorted(temp.Path);
            Assert.Equal([Checkpoint.PathFor(temp.Path, 4), Checkpoint.PathFor(temp.Path, 5)], kept);

            for (int rerun = 0; rerun < 2; rerun++)
            {
                var errors = new StringWriter();
                var original = Console.Error;
                Console.SetError(errors);
                var again = new ParityTrainer(TinyNet.Create(seed: 9), args);
                try { again.Train(data, resumeFromCheckpoint: "last"); }
                finally { Console.SetError(original); }

                Assert.Empty(again.Losses);
                Assert.Equal(5, again.State.GlobalStep);
                Assert.Equal(kept, Checkpoint.Sorted(temp.Path));
                Assert.Contains("training is already finished", errors.ToString());
                Assert.Contains(Checkpoint.PathFor(temp.Path, 5), errors.ToString());
            }
        }
        finally { Console.SetOut(quiet); }
    }
}
