using Dsl.Checkpoints;
using Dsl.Tests.Support;
using TorchSharp;

namespace Dsl.Tests.Reliability;

/// <summary>
/// A damaged checkpoint file is a clear <see cref="InvalidDataException"/> naming the file, never a
/// native abort (issue 12, defect 1), and a failed resume leaves every checkpoint on disk as it was.
/// </summary>
[Collection(TorchState.Name)]
public sealed class DamagedCheckpointTests
{
    // Without checksums.sha256 unless asked (as Hugging Face and older versions write them), so the
    // checks of each file's own reader are what is tested.
    private static (TempDirectory Temp, TrainingArguments Args, string Checkpoint) TrainedCheckpoint(bool keepChecksums = false)
    {
        var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 3, MaxSteps = 6 };
        new ParityTrainer(TinyNet.Create(), args).Train(SampleData.Make(64));
        string checkpoint = Checkpoint.PathFor(temp.Path, 3);
        if (!keepChecksums) File.Delete(Path.Combine(checkpoint, Checkpoint.ChecksumsFile));
        return (temp, args, checkpoint);
    }

    [Theory]
    [InlineData(Checkpoint.ModelFile)]
    [InlineData(Checkpoint.OptimizerFile)]
    [InlineData(Checkpoint.RngFile)]
    [InlineData(Checkpoint.SchedulerFile)]
    [InlineData(Checkpoint.ConfigFile)]
    [InlineData(Checkpoint.ArgumentsFile)]
    public void One_changed_byte_anywhere_in_a_checkpoint_file_fails_its_checksum(string file)
    {
        var (temp, args, checkpoint) = TrainedCheckpoint(keepChecksums: true);
        using var _ = temp;
        string path = Path.Combine(checkpoint, file);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[new Random(file.Length).Next(bytes.Length)] ^= 0x01;   // e.g. one weight or one Adam moment: no reader could notice
        File.WriteAllBytes(path, bytes);
        AssertResumeFails(args, checkpoint, $"{path}: its SHA-256 differs");
    }

    [Fact]
    public void A_file_listed_in_the_checksums_but_missing_is_named()
    {
        var (temp, args, checkpoint) = TrainedCheckpoint(keepChecksums: true);
        using var _ = temp;
        File.Delete(Path.Combine(checkpoint, Checkpoint.OptimizerFile));
        AssertResumeFails(args, checkpoint, $"{Path.Combine(checkpoint, Checkpoint.OptimizerFile)} is missing");
    }

    [Fact]
    public void The_checksums_file_is_sha256sums_format_and_verifies()
    {
        var (temp, _, checkpoint) = TrainedCheckpoint(keepChecksums: true);
        using var _ = temp;
        var lines = File.ReadAllLines(Path.Combine(checkpoint, Checkpoint.ChecksumsFile));
        Assert.Equal([Checkpoint.ConfigFile, Checkpoint.ModelFile, Checkpoint.OptimizerFile, Checkpoint.RngFile, Checkpoint.SchedulerFile, Checkpoint.ArgumentsFile],
            lines.Select(l => l[66..]));
        Assert.All(lines, l => Assert.Matches("^[0-9a-f]{64}  ", l));
        Checkpoint.VerifyChecksums(checkpoint);
    }

    private static Dictionary<string, byte[]> Contents(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);

    private static void AssertResumeFails(TrainingArguments args, string checkpoint, string culprit)
    {
        var before = Contents(args.OutputDir);
        var error = Assert.Throws<InvalidDataException>(() =>
            new ParityTrainer(TinyNet.Create(), args).Train(SampleData.Make(64), resumeFromCheckpoint: checkpoint));
        Assert.Contains(culprit, error.Message);
        var after = Contents(args.OutputDir);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, bytes) in before) Assert.Equal(bytes, after[file]);
    }

    [Fact]
    public void A_saved_generator_state_passes_the_check_and_restores_the_same_numbers()
    {
        using var temp = new TempDirectory();
        torch.manual_seed(5);
        torch.rand(10).Dispose();
        Checkpoint.SaveRng(temp["rng.bin"]);
        Assert.Null(Checkpoint.RngStateProblem(File.ReadAllBytes(temp["rng.bin"])));
        using var first = torch.rand(4);
        Checkpoint.LoadRng(temp["rng.bin"]);
        using var again = torch.rand(4);
        Assert.Equal(first.data<float>().ToArray(), again.data<float>().ToArray());
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("short")]
    [InlineData("long")]
    [InlineData("left zero")]
    [InlineData("left too big")]
    [InlineData("unseeded")]
    [InlineData("next too big")]
    [InlineData("random bytes")]
    public void A_damaged_rng_state_is_an_error_naming_the_file_not_an_abort(string damage)
    {
        var (temp, args, checkpoint) = TrainedCheckpoint();
        using var _ = temp;
        string path = Path.Combine(checkpoint, Checkpoint.RngFile);
        byte[] bytes = File.ReadAllBytes(path);
        bytes = damage switch
        {
            "empty" => [],
            "short" => bytes[..^1],
            "long" => [.. bytes, 0],
            "left zero" => Patch(bytes, 8, 0),
            "left too big" => Patch(bytes, 8, 625),
            "unseeded" => Patch(bytes, 12, 0),
            "next too big" => Patch(bytes, 16, 1000),
            _ => RandomBytes(bytes.Length),
        };
        File.WriteAllBytes(path, bytes);
        AssertResumeFails(args, checkpoint, Checkpoint.RngFile);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(-1)]
    public void A_truncated_optimizer_state_is_an_error_naming_the_file(int keep)
    {
        var (temp, args, checkpoint) = TrainedCheckpoint();
        using var _ = temp;
        string path = Path.Combine(checkpoint, Checkpoint.OptimizerFile);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, keep >= 0 ? bytes[..keep] : [.. bytes, .. bytes]);
        AssertResumeFails(args, checkpoint, Checkpoint.OptimizerFile);
    }

    [Theory]
    [InlineData(Checkpoint.StateFile, "half")]
    [InlineData(Checkpoint.StateFile, "garbage")]
    [InlineData(Checkpoint.SchedulerFile, "half")]
    [InlineData(Checkpoint.SchedulerFile, "garbage")]
    [InlineData(Checkpoint.ModelFile, "half")]
    [InlineData(Checkpoint.ModelFile, "garbage")]
    [InlineData(Checkpoint.OptimizerFile, "garbage")]
    public void A_damaged_checkpoint_file_is_an_error_naming_it(string file, string damage)
    {
        var (temp, args, checkpoint) = TrainedCheckpoint();
        using var _ = temp;
        string path = Path.Combine(checkpoint, file);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, damage == "half" ? bytes[..(bytes.Length / 2)] : RandomBytes(bytes.Length));
        AssertResumeFails(args, checkpoint, file);
    }

    private static byte[] Patch(byte[] bytes, int offset, int value)
    {
        var copy = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(copy.AsSpan(offset, 4), value);
        return copy;
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(12).NextBytes(bytes);
        return bytes;
    }
}
