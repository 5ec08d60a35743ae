namespace Dsl.Logging;

/// <summary>
/// Writes each entry's numbers as TensorBoard scalars into one event file under the logging folder
/// (<see cref="TensorBoardEventFile"/>: named and stamped as PyTorch's <c>SummaryWriter</c> does), with Hugging Face's tags: <c>eval_loss</c> → <c>eval/loss</c>, <c>test_*</c> →
/// <c>test/*</c>, everything else under <c>train/</c>; the step is the entry's global step.
/// </summary>
public sealed class TensorBoardLogSink : ILogSink
{
    private readonly string _directory;
    private TensorBoardEventFile? _file;

    /// <summary>Writes event files into <paramref name="directory"/> (created on the first entry).</summary>
    public TensorBoardLogSink(string directory) => _directory = directory;

    /// <summary>The folder holding the event files.</summary>
    public string Directory => _directory;

    /// <summary>The event file, once the first entry created it.</summary>
    public string? File => _file?.Path;

    /// <inheritdoc/>
    public void Write(LogEntry entry, TrainerState state)
    {
        _file ??= new TensorBoardEventFile(_directory);
        var scalars = new List<(string, float)>();
        foreach (var (key, value) in entry) scalars.Add((Tag(key), (float)value));
        _file.AddScalars(scalars, entry.Step);
    }

    /// <summary>HF's <c>rewrite_logs</c>: <c>eval_x</c> → <c>eval/x</c>, <c>test_x</c> → <c>test/x</c>, else <c>train/x</c>.</summary>
    public static string Tag(string key)
    {
        foreach (string prefix in (ReadOnlySpan<string>)["eval_", "test_"])
            if (key.StartsWith(prefix, StringComparison.Ordinal)) return prefix[..^1] + "/" + key[prefix.Length..];
        return "train/" + key;
    }
}
