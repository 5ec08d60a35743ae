using Dsl.Checkpoints;
using Dsl.Tests.Support;

namespace Dsl.Tests.Reliability;

/// <summary>
/// One writer per output folder (issue 12, defect 8), and nothing of the lock left in it: after Train the folder holds
/// what Hugging Face's holds (issue 19).
/// </summary>
[Collection(TorchState.Name)]
public sealed class OutputFolderLockTests
{
    private static TrainingArguments Saving(string dir) =>
        Args.Quiet(dir) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, MaxSteps = 4 };

    private static Dictionary<string, byte[]> Contents(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);

    private static string[] Entries(string dir) => [.. Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order()!];

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

    [Fact]
    public void After_Train_the_output_folder_holds_only_its_checkpoint_folders()
    {
        // HF's tests count the entries of output_dir (test_trainer.py, the save_total_limit and checkpoint tests).
        using var temp = new TempDirectory();
        new ParityTrainer(TinyNet.Create(), Saving(temp.Path)).Train(SampleData.Make(64));
        Assert.Equal(["checkpoint-2", "checkpoint-4"], Entries(temp.Path));
    }

    [Fact]
    public void The_lock_is_on_the_folder_itself_creates_nothing_and_refuses_a_second_holder()
    {
        if (!OperatingSystem.IsLinux()) return;   // elsewhere it is a lock file (the tests below)
        using var temp = new TempDirectory();
        string folder = temp["out"];
        using (var held = OutputFolderLock.Acquire(folder))
        {
            Assert.True(held.OnFolder);
            Assert.Empty(Entries(folder));
            Assert.Throws<OutputFolderInUseException>(() => OutputFolderLock.Acquire(folder));
        }
        using var again = OutputFolderLock.Acquire(folder);
    }

    [Fact]
    public void A_lock_file_exists_only_while_it_is_held()
    {
        using var temp = new TempDirectory();
        using (var held = OutputFolderLock.Acquire(temp.Path, lockFolder: false, beforeLock: null))
        {
            Assert.False(held.OnFolder);
            Assert.Equal([OutputFolderLock.FileName], Entries(temp.Path));
            Assert.Throws<OutputFolderInUseException>(() => OutputFolderLock.Acquire(temp.Path, lockFolder: false, beforeLock: null));
        }
        Assert.Empty(Entries(temp.Path));
    }

    [Fact]
    public void A_lock_file_in_a_folder_reached_through_a_symbolic_link_is_taken_and_removed()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp["real"]);
        Directory.CreateSymbolicLink(temp["link"], temp["real"]);
        using (var held = OutputFolderLock.Acquire(Path.Combine(temp["link"], "out"), lockFolder: false, beforeLock: null))
            Assert.True(File.Exists(Path.Combine(temp["real"], "out", OutputFolderLock.FileName)));
        Assert.Empty(Entries(Path.Combine(temp["real"], "out")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_run_that_opened_a_lock_file_its_holder_then_deleted_locks_the_file_the_folder_names_now(bool third)
    {
        // A holds the lock file; B opens it; A deletes it and lets go; C (or nobody) creates a new one; B locks the
        // old, deleted file, which must not count: B starts over on the file the folder names now.
        if (!OperatingSystem.IsLinux()) return;   // elsewhere the file cannot be deleted while another run has it open
        using var temp = new TempDirectory();
        var a = OutputFolderLock.Acquire(temp.Path, lockFolder: false, beforeLock: null);
        using var opened = new ManualResetEventSlim();
        using var go = new ManualResetEventSlim();
        int attempts = 0;
        var b = Task.Run(() => OutputFolderLock.Acquire(temp.Path, lockFolder: false, beforeLock: () =>
        {
            if (Interlocked.Increment(ref attempts) > 1) return;
            opened.Set();
            go.Wait();
        }));
        Assert.True(opened.Wait(TimeSpan.FromSeconds(30)));
        a.Dispose();
        var c = third ? OutputFolderLock.Acquire(temp.Path, lockFolder: false, beforeLock: null) : null;
        go.Set();

        if (third)
        {
            await Assert.ThrowsAsync<OutputFolderInUseException>(() => b.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(2, attempts);   // B tried again, on C's file, and found it held
            c!.Dispose();
        }
        else
        {
            using var held = await b.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(2, attempts);
            Assert.Throws<OutputFolderInUseException>(() => OutputFolderLock.Acquire(temp.Path, lockFolder: false, beforeLock: null));
            held.Dispose();
        }
        Assert.Empty(Entries(temp.Path));
    }

    [Fact]
    public void A_lock_file_left_behind_is_removed_and_one_still_held_refuses_the_run()
    {
        using var temp = new TempDirectory();
        string stale = Path.Combine(temp.Path, OutputFolderLock.FileName);
        File.WriteAllText(stale, "");   // a killed lock-file run, or an earlier Dsl's lock
        using (OutputFolderLock.Acquire(temp.Path)) Assert.False(File.Exists(stale));
        Assert.Empty(Entries(temp.Path));

        // An earlier Dsl held its lock file with an exclusive FileStream: still a writer, so this run is refused.
        using var legacy = new FileStream(stale, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        Assert.Throws<OutputFolderInUseException>(() => OutputFolderLock.Acquire(temp.Path));
    }
}
