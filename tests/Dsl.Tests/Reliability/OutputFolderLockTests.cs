using Dsl.Checkpoints;
using Dsl.Tests.Support;

namespace Dsl.Tests.Reliability;

/// <summary>One writer per output folder (issue 12, defect 8).</summary>
[Collection(TorchState.Name)]
public sealed class OutputFolderLockTests
{
    private static TrainingArguments Saving(string dir) =>
        Args.Quiet(dir) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, MaxSteps = 4 };

    private static Dictionary<string, byte[]> Contents(string dir) => Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
        .Where(f => Path.GetFileName(f) != OutputFolderLock.FileName).ToDictionary(f => f, File.ReadAllBytes);

    [Fact]
    public void A_second_writer_is_refused_with_the_folder_named_and_nothing_written()
    {
        using var temp = new TempDirectory();
        new ParityTrainer(TinyNet.Create(), Saving(temp.Path)).Train(SampleData.Make(64));
        var before = Contents(temp.Path);

        using (OutputFolderLock.Acquire(temp.Path))
        {
            var error = Assert.Throws<OutputFolderInUseException>(() =>
                new ParityTrainer(TinyNet.Create(), Saving(temp.Path) with { MaxSteps = 8 }).Train(SampleData.Make(64), resumeFromCheckpoint: "last"));
            Assert.Contains($"Another training run is writing to {Path.GetFullPath(temp.Path)}", error.Message);
            var after = Contents(temp.Path);
            Assert.Equal(before.Keys.Order(), after.Keys.Order());
            foreach (var (file, bytes) in before) Assert.Equal(bytes, after[file]);
        }

        // Released: the same run now goes ahead.
        var resumed = new ParityTrainer(TinyNet.Create(), Saving(temp.Path) with { MaxSteps = 8 });
        resumed.Train(SampleData.Make(64), resumeFromCheckpoint: "last");
        Assert.Equal(8, resumed.State.GlobalStep);
    }

    [Fact]
    public void The_lock_is_released_when_a_run_fails()
    {
        using var temp = new TempDirectory();
        Assert.Throws<DirectoryNotFoundException>(() =>
            new ParityTrainer(TinyNet.Create(), Saving(temp.Path)).Train(SampleData.Make(64), resumeFromCheckpoint: "last"));
        using var again = OutputFolderLock.Acquire(temp.Path);
    }

    [Fact]
    public void An_output_folder_that_is_a_file_is_named()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp["results"], "not a folder");
        var error = Assert.Throws<ArgumentException>(() => new ParityTrainer(TinyNet.Create(), Saving(temp["results"])).Train(SampleData.Make(64)));
        Assert.Contains($"TrainingArguments.OutputDir is '{temp["results"]}'; it must be a folder, not an existing file.", error.Message);
        Assert.Equal("not a folder", File.ReadAllText(temp["results"]));
    }
}
