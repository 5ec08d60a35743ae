using Dsl.Checkpoints;
using Dsl.Tests.Support;

namespace Dsl.Tests.Reliability;

/// <summary>Two runs in one output folder (issue 25, item 5): refused unless OverwriteOutputDir; never mixed.</summary>
[Collection(TorchState.Name)]
public sealed class TwoRunsInOneFolderTests
{
    private static TrainingArguments Saving(string dir, int saveSteps, int maxSteps) =>
        Args.Quiet(dir) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = saveSteps, MaxSteps = maxSteps };

    private static Dictionary<string, byte[]> Contents(string dir) => Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
        .Where(f => Path.GetFileName(f) != OutputFolderLock.FileName).ToDictionary(f => f, File.ReadAllBytes);

    [Fact]
    public void A_new_run_into_a_folder_holding_checkpoints_is_refused_before_training_naming_the_folder_and_the_choices()
    {
        using var temp = new TempDirectory();
        new ParityTrainer(TinyNet.Create(), Saving(temp.Path, 2, 4)).Train(SampleData.Make(64));
        var before = Contents(temp.Path);

        var second = new ParityTrainer(TinyNet.Create(), Saving(temp.Path, 3, 6) with { SaveTotalLimit = 1 });
        var error = Assert.Throws<OutputFolderHasCheckpointsException>(() => second.Train(SampleData.Make(64)));
        Assert.Contains($"The output folder {Path.GetFullPath(temp.Path)} already holds checkpoints of another run (checkpoint-2, checkpoint-4)", error.Message);
        Assert.Contains("resumeFromCheckpoint: \"last\"", error.Message);
        Assert.Contains("another OutputDir", error.Message);
        Assert.Contains("OverwriteOutputDir = true", error.Message);
        Assert.Equal([Checkpoint.PathFor(temp.Path, 2), Checkpoint.PathFor(temp.Path, 4)], error.Checkpoints);
        Assert.Empty(second.Losses);   // not one step
        var after = Contents(temp.Path);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, bytes) in before) Assert.Equal(bytes, after[file]);

        // The lock was released: resuming (the first choice) goes ahead.
        var resumed = new ParityTrainer(TinyNet.Create(), Saving(temp.Path, 2, 6));
        resumed.Train(SampleData.Make(64), resumeFromCheckpoint: "last");
        Assert.Equal(6, resumed.State.GlobalStep);
    }

    [Fact]
    public void A_run_that_saves_nothing_may_share_the_folder()
    {
        using var temp = new TempDirectory();
        new ParityTrainer(TinyNet.Create(), Saving(temp.Path, 2, 4)).Train(SampleData.Make(64));
        var trainer = new ParityTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { MaxSteps = 3 });
        trainer.Train(SampleData.Make(64));
        Assert.Equal(3, trainer.State.GlobalStep);
        Assert.Equal([Checkpoint.PathFor(temp.Path, 2), Checkpoint.PathFor(temp.Path, 4)], Checkpoint.Sorted(temp.Path));
    }

    [Fact]
    public void With_OverwriteOutputDir_rotation_never_deletes_the_other_runs_checkpoints_and_last_is_this_runs()
    {
        // The story: an old run's best checkpoint was rotated away and its stale last one resumed from.
        using var temp = new TempDirectory();
        new ParityTrainer(TinyNet.Create(), Saving(temp.Path, 2, 8)).Train(SampleData.Make(64));
        var old = Contents(temp.Path);
        string[] oldOnes = [Checkpoint.PathFor(temp.Path, 2), Checkpoint.PathFor(temp.Path, 4), Checkpoint.PathFor(temp.Path, 8)];

        var args = Saving(temp.Path, 3, 6) with { SaveTotalLimit = 1, OverwriteOutputDir = true };
        string warnings = ConsoleCapture.Errors(() =>
            new ParityTrainer(TinyNet.Create(), args with { ReportTo = [] }).Train(SampleData.Make(64)));
        Assert.Contains("OverwriteOutputDir", warnings);
        Assert.Contains("holds 4 checkpoint(s) of another run", warnings);

        // This run wrote 3 and 6 (replacing the old run's 6) and rotated its own 3 away; the old 2, 4 and 8 are untouched.
        Assert.Equal([oldOnes[0], oldOnes[1], Checkpoint.PathFor(temp.Path, 6), oldOnes[2]], Checkpoint.Sorted(temp.Path));
        foreach (var (file, bytes) in old.Where(f => oldOnes.Any(dir => f.Key.StartsWith(dir + Path.DirectorySeparatorChar))))
            Assert.Equal(bytes, File.ReadAllBytes(file));
        Assert.Equal(2, CheckpointRun.NumberOf(Checkpoint.PathFor(temp.Path, 6)));
        Assert.Equal(1, CheckpointRun.NumberOf(oldOnes[2]));

        // 'last' is the newest run's newest checkpoint, not the old run's stale checkpoint-8.
        Assert.Equal(Checkpoint.PathFor(temp.Path, 6), Checkpoint.Last(temp.Path));
        var resumed = new ParityTrainer(TinyNet.Create(), args with { MaxSteps = 9 });
        resumed.Train(SampleData.Make(64), resumeFromCheckpoint: "last");
        Assert.Equal(9, resumed.State.GlobalStep);
        // The resumed run is the same run: it rotated its own 6 away, and still not the old run's.
        Assert.Equal([oldOnes[0], oldOnes[1], oldOnes[2], Checkpoint.PathFor(temp.Path, 9)], Checkpoint.Sorted(temp.Path));
    }

    [Fact]
    public void Rotation_and_the_end_of_training_keep_checkpoints_without_a_run_as_they_are()
    {
        using var temp = new TempDirectory();
        new ParityTrainer(TinyNet.Create(), Saving(temp.Path, 2, 4)).Train(SampleData.Make(64));
        // As Hugging Face or an older version writes them: no dsl_run.json (and so no checksum listing it).
        foreach (string dir in Checkpoint.Sorted(temp.Path))
        {
            File.Delete(Path.Combine(dir, CheckpointRun.FileName));
            File.Delete(Path.Combine(dir, Checkpoint.ChecksumsFile));
        }
        Assert.Null(CheckpointRun.Of(Checkpoint.PathFor(temp.Path, 4)));

        var resumed = new ParityTrainer(TinyNet.Create(), Saving(temp.Path, 2, 8) with { SaveTotalLimit = 1 });
        resumed.Train(SampleData.Make(64), resumeFromCheckpoint: "last");
        Assert.Equal([Checkpoint.PathFor(temp.Path, 2), Checkpoint.PathFor(temp.Path, 4), Checkpoint.PathFor(temp.Path, 8)],
            Checkpoint.Sorted(temp.Path));
    }
}
