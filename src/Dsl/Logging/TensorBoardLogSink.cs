using TorchSharp;
using TorchSharp.Modules;

namespace Dsl.Logging;

/// <summary>
/// Writes each entry's numbers as TensorBoard scalars (TorchSharp's <c>SummaryWriter</c>) under the
/// logging folder, with Hugging Face's tags: <c>eval_loss</c> → <c>eval/loss</c>, <c>test_*</c> →
/// <c>test/*</c>, everything else under <c>train/</c>; the step is the entry's global step.
/// </summary>
public sealed class TensorBoardLogSink : ILogSink
{
    private readonly string _directory;
    private SummaryWriter? _writer;

    /// <summary>Writes event files into <paramref name="directory"/> (created on the first entry).</summary>
    public TensorBoardLogSink(string directory) => _directory = directory;

    /// <summary>The folder holding the event files.</summary>
    public string Directory => _directory;

    /// <inheritdoc/>
    public void Write(LogEntry entry, TrainerState state)
    {
        _writer ??= torch.utils.tensorboard.SummaryWriter(_directory);
        foreach (var (key, value) in entry) _writer.add_scalar(Tag(key), (float)value, entry.Step);
    }

    /// <summary>HF's <c>rewrite_logs</c>: <c>eval_x</c> → <c>eval/x</c>, <c>test_x</c> → <c>test/x</c>, else <c>train/x</c>.</summary>
    public static string Tag(string key)
    {
        foreach (string prefix in (ReadOnlySpan<string>)["eval_", "test_"])
            if (key.StartsWith(prefix, StringComparison.Ordinal)) return prefix[..^1] + "/" + key[prefix.Length..];
        return "train/" + key;
    }
}
