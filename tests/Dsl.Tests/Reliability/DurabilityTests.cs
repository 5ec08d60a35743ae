using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using Dsl.Logging;
using Dsl.Tests.Support;

namespace Dsl.Tests.Reliability;

/// <summary>Rotation, flushing and the log file across interruptions (issue 12, defect 9).</summary>
[Collection(TorchState.Name)]
public sealed class DurabilityTests
{
    [Fact]
    public void A_half_deleted_checkpoint_left_by_a_kill_is_never_resumed_from_and_is_cleaned_up()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, MaxSteps = 4, SaveTotalLimit = 1 };
        new ParityTrainer(TinyNet.Create(), args).Train(SampleData.Make(64));
        Assert.Equal([Checkpoint.PathFor(temp.Path, 4)], Checkpoint.Sorted(temp.Path));
        Assert.Empty(Directory.GetDirectories(temp.Path, "deleting-*"));

        // What a kill during rotation now leaves: the renamed folder, partly deleted.
        string doomed = temp["deleting-checkpoint-2"];
        Directory.CreateDirectory(doomed);
        File.WriteAllText(Path.Combine(doomed, Checkpoint.StateFile), "{\"global_step\": 2}");
        Assert.Equal(Checkpoint.PathFor(temp.Path, 4), Checkpoint.Last(temp.Path));

        string halfWritten = temp["tmp-checkpoint-5"];
        Directory.CreateDirectory(halfWritten);
        // Resuming a finished run saves and rotates nothing, and still clears what the kill left.
        new ParityTrainer(TinyNet.Create(), args).Train(SampleData.Make(64), resumeFromCheckpoint: "last");
        Assert.False(Directory.Exists(doomed));
        Assert.False(Directory.Exists(halfWritten));

        new ParityTrainer(TinyNet.Create(), args with { MaxSteps = 6 }).Train(SampleData.Make(64), resumeFromCheckpoint: "last");
        Assert.Equal([Checkpoint.PathFor(temp.Path, 6)], Checkpoint.Sorted(temp.Path));
    }

    [Fact]
    public void Flushing_a_checkpoint_folder_to_disk_succeeds_and_changes_nothing()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp["a.json"], "{}");
        DurableFiles.FlushFolderAndFiles(temp.Path);
        Assert.Equal("{}", File.ReadAllText(temp["a.json"]));
    }

    [Fact]
    public void After_a_resume_the_log_file_holds_every_step_once()
    {
        using var temp = new TempDirectory();
        TrainingArguments Arguments(string dir) => Args.Quiet(dir) with
        {
            SaveStrategy = SaveStrategy.Steps, SaveSteps = 3, MaxSteps = 8, LoggingSteps = 1,
            ReportTo = ["jsonl"], LoggingDir = Path.Combine(dir, "logs"),
        };
        var data = SampleData.Make(64);
        new ParityTrainer(TinyNet.Create(), Arguments(temp["whole"])).Train(data);

        string dir = temp["interrupted"];
        new ParityTrainer(TinyNet.Create(), Arguments(dir)).Train(data);
        // As if killed after step 7 before any later save: only checkpoint-3 survives.
        Directory.Delete(Checkpoint.PathFor(dir, 6), recursive: true);
        Directory.Delete(Checkpoint.PathFor(dir, 8), recursive: true);
        File.AppendAllText(Path.Combine(dir, "logs", JsonlLogSink.FileName), "{\"loss\": 0.5, \"st");   // a line cut by the kill
        new ParityTrainer(TinyNet.Create(), Arguments(dir)).Train(data, resumeFromCheckpoint: "last");

        static List<string> Losses(string folder) => File.ReadAllLines(Path.Combine(folder, "logs", JsonlLogSink.FileName))
            .Where(l => JsonNode.Parse(l)!["loss"] is not null).ToList();
        var expected = Losses(temp["whole"]);
        Assert.Equal(8, expected.Count);
        Assert.Equal(expected, Losses(dir));
        Assert.Single(File.ReadAllLines(Path.Combine(dir, "logs", JsonlLogSink.FileName)), l => l.Contains("train_runtime"));
    }

    [Theory]
    [InlineData("\"global_step\": -3", "'global_step' is -3")]
    [InlineData("\"epoch\": -1.5", "'epoch' is -1.5")]
    public void A_negative_step_or_epoch_names_the_state_file(string field, string message)
    {
        using var temp = new TempDirectory();
        string path = temp[Checkpoint.StateFile];
        File.WriteAllText(path, "{" + field + "}");
        var error = Assert.Throws<InvalidDataException>(() => TrainerState.Load(path));
        Assert.StartsWith(path, error.Message);
        Assert.Contains(message, error.Message);
    }
}
