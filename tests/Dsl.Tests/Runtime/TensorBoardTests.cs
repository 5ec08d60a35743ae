using System.Buffers.Binary;
using Dsl.Logging;
using Dsl.Tests.Support;

namespace Dsl.Tests.Runtime;

/// <summary>TensorBoard event files that TensorBoard can read: TFRecord framing around Event protobufs.</summary>
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
