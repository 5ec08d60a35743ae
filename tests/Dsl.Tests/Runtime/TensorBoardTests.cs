using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Dsl.Logging;
using Dsl.Tests.Support;

namespace Dsl.Tests.Runtime;

/// <summary>TensorBoard event files that TensorBoard can read: TFRecord framing around Event protobufs.</summary>
[Collection(TorchState.Name)]
public sealed class TensorBoardTests
{
    [Theory]
    [InlineData("loss", "train/loss")]
    [InlineData("learning_rate", "train/learning_rate")]
    [InlineData("eval_loss", "eval/loss")]
    [InlineData("eval_accuracy", "eval/accuracy")]
    [InlineData("test_runtime", "test/runtime")]
    [InlineData("epoch", "train/epoch")]
    public void Tags_follow_HFs_rewrite_logs(string key, string tag) => Assert.Equal(tag, TensorBoardLogSink.Tag(key));

    [Fact]
    public void Training_writes_scalars_TensorBoard_can_read()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { ReportTo = ["tensorboard"], LoggingDir = temp["logs"], LoggingSteps = 2, MaxSteps = 6 };
        new MetricTrainer(TinyNet.Create(), args).Train(SampleData.Make(64));

        string file = Directory.GetFiles(temp["logs"], "events.out.tfevents.*").Single();
        var scalars = ReadScalars(File.ReadAllBytes(file));
        Assert.Equal([2, 4, 6], scalars.Where(s => s.Tag == "train/loss").Select(s => s.Step));
        Assert.Contains(scalars, s => s.Tag == "train/train_runtime" && s.Step == 6);
        Assert.Contains(scalars, s => s.Tag == "train/learning_rate" && s.Step == 2 && s.Value > 0);
    }

    [Fact]
    public void The_event_file_is_named_as_PyTorchs_SummaryWriter_names_it()
    {
        // torch.utils.tensorboard's EventFileWriter: "events.out.tfevents.%010d.%s.%s.%s" % (time, host, pid, uid).
        var time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        Assert.Equal("events.out.tfevents.1700000000.box.4242.0", TensorBoardEventFile.FileName(time, "box", 4242, 0));
        Assert.Equal("events.out.tfevents.0000000042.box.7.3", TensorBoardEventFile.FileName(DateTimeOffset.FromUnixTimeSeconds(42), "box", 7, 3));

        using var temp = new TempDirectory();
        long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var file = new TensorBoardEventFile(temp.Path);
        long after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var match = Regex.Match(Path.GetFileName(file.Path), @"^events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+)$");
        Assert.True(match.Success, file.Path);
        Assert.InRange(long.Parse(match.Groups[1].Value), before, after);
        Assert.Equal(Environment.MachineName, match.Groups[2].Value);
        Assert.Equal(Environment.ProcessId, int.Parse(match.Groups[3].Value));
        // A later file of this process gets a higher number (other tests may open files in between).
        var second = new TensorBoardEventFile(temp.Path);
        Assert.True(int.Parse(second.Path.Split('.')[^1]) > int.Parse(match.Groups[4].Value), second.Path);
    }

    [Fact]
    public void Records_carry_TFRecords_checksums_and_wall_times_in_seconds()
    {
        // CRC-32C's check value (RFC 3720's test vector).
        Assert.Equal(0xE3069283u, TensorBoardEventFile.Crc32C(Encoding.ASCII.GetBytes("123456789")));
        using var temp = new TempDirectory();
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500);
        var file = new TensorBoardEventFile(temp.Path, time);
        file.AddScalars([("train/loss", 0.5f), ("train/epoch", 1f)], step: 3, time.AddSeconds(2));

        byte[] bytes = File.ReadAllBytes(file.Path);
        var events = new List<Tensorboard.Event>();
        for (int at = 0; at < bytes.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            Assert.Equal(TensorBoardEventFile.MaskedCrc32C(bytes.AsSpan(at, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
            Assert.Equal(TensorBoardEventFile.MaskedCrc32C(bytes.AsSpan(at + 12, length)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length)));
            events.Add(Tensorboard.Event.Parser.ParseFrom(bytes, at + 12, length));
            at += 12 + length + 4;
        }
        Assert.Equal(2, events.Count);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.Equal(1_700_000_000.5, events[0].WallTime, 3);
        Assert.Equal(1_700_000_002.5, events[1].WallTime, 3);
        Assert.Equal(3, events[1].Step);
        Assert.Equal(["train/loss", "train/epoch"], events[1].Summary.Value.Select(v => v.Tag));
        Assert.Equal(0.5f, events[1].Summary.Value[0].SimpleValue);
    }

    /// <summary>Reads TFRecords (length, masked CRC, data, masked CRC) and the scalar summaries in them.</summary>
    private static List<(string Tag, long Step, float Value)> ReadScalars(byte[] bytes)
    {
        var result = new List<(string, long, float)>();
        int at = 0;
        while (at < bytes.Length)
        {
            long length = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            at += 12;
            var ev = Tensorboard.Event.Parser.ParseFrom(bytes, at, (int)length);
            at += (int)length + 4;
            if (ev.Summary is null) continue;
            foreach (var value in ev.Summary.Value) result.Add((value.Tag, ev.Step, value.SimpleValue));
        }
        return result;
    }
}
