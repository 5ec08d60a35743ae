namespace Dsl.Logging;

/// <summary>Somewhere log entries go: the console, a JSON Lines file, TensorBoard.</summary>
public interface ILogSink
{
    /// <summary>Writes one entry. Called on log steps only, never on the per-step path.</summary>
    void Write(LogEntry entry, TrainerState state);
}

/// <summary>Prints each entry as Hugging Face does: <c>{'loss': 0.6931, 'grad_norm': 1.2, 'learning_rate': 5e-05, 'epoch': 0.32}</c>.</summary>
public sealed class ConsoleLogSink(TextWriter? writer = null) : ILogSink
{
    /// <inheritdoc/>
    public void Write(LogEntry entry, TrainerState state) => (writer ?? Console.Out).WriteLine(entry.ToString());
}

/// <summary>Appends each entry as one JSON line (its values and <c>step</c>) to <c>{LoggingDir}/log_history.jsonl</c>.</summary>
public sealed class JsonlLogSink : ILogSink
{
    /// <summary>The file's name inside the logging folder.</summary>
    public const string FileName = "log_history.jsonl";

    /// <summary>Writes to <paramref name="directory"/>/log_history.jsonl, creating the folder.</summary>
    public JsonlLogSink(string directory) => Path = System.IO.Path.Combine(directory, FileName);

    /// <summary>The file written.</summary>
    public string Path { get; }

    private bool _started;

    /// <inheritdoc/>
    public void Write(LogEntry entry, TrainerState state)
    {
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            if (!_started && state.ResumedAtStep is int resumedAt) DropAfter(resumedAt);
            _started = true;
            File.AppendAllText(Path, PythonJson.Serialize(entry.ToJson(), indent: null, sortKeys: false) + "\n");
        }
        catch (Exception e) when (Checkpoints.StorageErrors.IsDiskFull(e))
        {
            throw Checkpoints.StorageErrors.DiskFull(Path, null, LogAdvice, e);
        }
    }

    /// <summary>What a full disk at a log write means for the run, and what to do.</summary>
    internal const string LogAdvice =
        "This log entry was not written (a line cut short is dropped on resume); checkpoints saved so far are complete. " +
        "Free some space and resume with resumeFromCheckpoint: \"last\".";

    // A resumed run logs again the steps between its checkpoint and the interruption: drop what the
    // interrupted run logged after the checkpoint (and a line cut short by a kill), as HF's
    // log_history in trainer_state.json does. Rewritten to a temporary file and renamed.
    private void DropAfter(int step)
    {
        if (!File.Exists(Path)) return;
        var kept = new List<string>();
        foreach (string line in File.ReadLines(Path))
        {
            try
            {
                if (System.Text.Json.Nodes.JsonNode.Parse(line)?["step"]?.GetValue<int>() is int s && s <= step) kept.Add(line);
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException) { }
        }
        string temp = Path + ".tmp";
        File.WriteAllLines(temp, kept);
        File.Move(temp, Path, overwrite: true);
    }
}
