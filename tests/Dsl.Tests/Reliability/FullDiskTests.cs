using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using Dsl.Logging;
using Dsl.Tests.Support;
using static TorchSharp.torch;

namespace Dsl.Tests.Reliability;

/// <summary>The default optimizer and schedule, with hooks a test uses to fill the disk at a chosen moment.</summary>
[Trainer]
public partial class DiskFillingTrainer(TinyNet model, TrainingArguments args)
{
    public Action<int>? AfterSave { get; init; }
    public Action<int>? AtStepEnd { get; init; }

    [TrainStep]
    Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);

    [OnStepEnd]
    void StepEnded(StepEndEvent e) => AtStepEnd?.Invoke(e.GlobalStep);

    [OnSave]
    void Saved(SaveEvent e) => AfterSave?.Invoke(e.State.GlobalStep);
}

/// <summary>
/// A full disk and a read-only folder as tested guarantees (issue 25, item 1), on small tmpfs mounts: the message
/// names the file (and the space needed), the previous checkpoint stays complete, and resuming ends exactly.
/// </summary>
[Collection(TorchState.Name)]
public sealed class FullDiskTests
{
    private static TrainingArguments Saving(string dir) =>
        Args.Quiet(dir) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, MaxSteps = 8 };

    [SmallDiskFact]
    public void A_full_disk_at_a_checkpoint_save_names_the_file_keeps_the_previous_checkpoint_and_resuming_ends_exactly()
    {
        using var temp = new TempDirectory();
        var data = SampleData.Make(64);
        var whole = TinyNet.Create();
        new DiskFillingTrainer(whole, Saving(temp.Path)).Train(data);

        using var disk = new SmallDisk(1 << 20);
        string output = disk["results"];
        var error = Assert.Throws<IOException>(() =>
            new DiskFillingTrainer(TinyNet.Create(), Saving(output)) { AfterSave = step => { if (step == 2) disk.Fill(); } }.Train(data));

        string halfWritten = Path.Combine(output, "tmp-checkpoint-4");
        Assert.StartsWith($"No space left on device writing {halfWritten}{Path.DirectorySeparatorChar}", error.Message);
        Assert.Matches(@"\(it needs about [0-9.]+ KB; [0-9.]+ (bytes|KB) free there\)", error.Message);
        Assert.Contains($"{Checkpoint.PathFor(output, 2)} is complete and kept", error.Message);
        Assert.Contains("resumeFromCheckpoint: \"last\"", error.Message);
        Assert.False(Directory.Exists(halfWritten));

        // The previous checkpoint is whole: its checksums hold and its weights load.
        Checkpoint.VerifyChecksums(Checkpoint.PathFor(output, 2));
        Checkpoint.LoadModel(TinyNet.Create(seed: 5), Checkpoint.PathFor(output, 2));
        Assert.Equal([Checkpoint.PathFor(output, 2)], Checkpoint.Sorted(output));

        disk.Free();
        var resumed = TinyNet.Create(seed: 5);
        new DiskFillingTrainer(resumed, Saving(output)).Train(data, resumeFromCheckpoint: "last");
        Assert.Equal(whole.Snapshot(), resumed.Snapshot());
    }

    [SmallDiskTheory]
    [InlineData(false)]
    [InlineData(true)]   // a lock file left by an earlier run must not read as another run's lock
    public void A_read_only_output_folder_is_refused_at_start_naming_it(bool earlierRun)
    {
        using var disk = new SmallDisk(1 << 20);
        string output = disk["results"];
        if (earlierRun) new DiskFillingTrainer(TinyNet.Create(), Saving(output) with { MaxSteps = 2 }).Train(SampleData.Make(64));
        else Directory.CreateDirectory(output);
        disk.MakeReadOnly();

        var trainer = new DiskFillingTrainer(TinyNet.Create(), Saving(output));
        var error = Assert.Throws<IOException>(() => trainer.Train(SampleData.Make(64), resumeFromCheckpoint: earlierRun ? "last" : null));
        Assert.IsNotType<OutputFolderInUseException>(error);
        Assert.Equal($"TrainingArguments.OutputDir {output} is on a read-only file system: nothing can be written there. " +
                     "Remount it writable or choose another folder.", error.Message);
        Assert.Equal(0, trainer.State.GlobalStep);
    }

    [SmallDiskTheory]
    [InlineData("jsonl")]
    [InlineData("tensorboard")]
    public void A_read_only_logging_folder_is_refused_at_start_naming_it(string sink)
    {
        using var temp = new TempDirectory();
        using var disk = new SmallDisk(1 << 20);
        disk.MakeReadOnly();
        var args = Saving(temp.Path) with { ReportTo = [sink], LoggingDir = disk["logs"] };
        var error = Assert.Throws<IOException>(() => new DiskFillingTrainer(TinyNet.Create(), args).Train(SampleData.Make(64)));
        Assert.StartsWith($"TrainingArguments.LoggingDir {disk["logs"]} is on a read-only file system ({disk.Path})", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));   // refused before the output folder was locked
    }

    [SmallDiskTheory]
    [InlineData("jsonl")]
    [InlineData("tensorboard")]
    public void A_full_disk_at_a_log_write_names_the_log_file_and_the_checkpoints_stay_whole(string sink)
    {
        using var temp = new TempDirectory();
        using var disk = new SmallDisk(1 << 20);
        var args = Saving(temp.Path) with { ReportTo = [sink], LoggingDir = disk["logs"], LoggingSteps = 3 };
        // Full before the first log (step 3), after checkpoint-2.
        var error = Assert.Throws<IOException>(() =>
            new DiskFillingTrainer(TinyNet.Create(), args) { AfterSave = _ => disk.Fill() }.Train(SampleData.Make(64)));
        string file = sink == "jsonl" ? Path.Combine(disk["logs"], JsonlLogSink.FileName) : Path.Combine(disk["logs"], "events.out.tfevents.");
        Assert.StartsWith($"No space left on device writing {file}", error.Message);
        Assert.Contains("checkpoints saved so far are complete", error.Message);
        Checkpoint.VerifyChecksums(Checkpoint.PathFor(temp.Path, 2));

        // With space again, the run resumes and logs.
        disk.Free();
        new DiskFillingTrainer(TinyNet.Create(), args).Train(SampleData.Make(64), resumeFromCheckpoint: "last");
        if (sink == "jsonl")
            Assert.Equal([3, 6], File.ReadAllLines(file).Select(l => JsonNode.Parse(l)!["step"]!.GetValue<int>()).Where(s => s % 3 == 0));
    }

    [SmallDiskFact]
    public void A_full_disk_while_the_trainer_state_is_rewritten_leaves_it_unchanged()
    {
        using var disk = new SmallDisk(1 << 20);
        string output = disk["results"];
        new DiskFillingTrainer(TinyNet.Create(), Saving(output) with { MaxSteps = 2 }).Train(SampleData.Make(64));
        string checkpoint = Checkpoint.PathFor(output, 2), state = Path.Combine(checkpoint, Checkpoint.StateFile);
        byte[] before = File.ReadAllBytes(state);
        disk.Fill();
        var error = Assert.Throws<IOException>(() => Checkpoint.UpdateState(checkpoint, TrainerState.Load(state)));
        Assert.StartsWith($"No space left on device writing {state}.tmp", error.Message);
        Assert.Equal(before, File.ReadAllBytes(state));
        Assert.False(File.Exists(state + ".tmp"));
    }
}
