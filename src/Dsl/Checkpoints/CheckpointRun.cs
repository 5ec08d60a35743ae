using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dsl.Checkpoints;

/// <summary>
/// The training run that wrote a checkpoint, recorded in the checkpoint as <c>dsl_run.json</c>: an id, the same for a
/// run and every resumption of it, and a number that grows with each new run into the same output folder. Rotation
/// deletes only the checkpoints of its own run, and <c>last</c> means the newest checkpoint of the newest run, so a
/// folder that two runs wrote into (<see cref="TrainingArguments.OverwriteOutputDir"/>) never loses the other run's
/// checkpoints nor resumes from them by mistake. Checkpoints without the file (Hugging Face's, or older ones) belong to
/// no run here: never rotated, and older than any run that has a number.
/// </summary>
internal sealed record CheckpointRun(string Id, int Number)
{
    /// <summary>The file's name inside a checkpoint folder (Hugging Face ignores it).</summary>
    public const string FileName = "dsl_run.json";

    /// <summary>A new run into <paramref name="outputDir"/>: a fresh id, numbered after every run found there.</summary>
    public static CheckpointRun Next(string outputDir)
    {
        int newest = 0;
        foreach (string dir in Checkpoint.Sorted(outputDir)) newest = Math.Max(newest, NumberOf(dir));
        return new CheckpointRun(Guid.NewGuid().ToString("N"), newest + 1);
    }

    /// <summary>The run that wrote <paramref name="checkpointDir"/>, or null when it does not say (or says it unreadably).</summary>
    public static CheckpointRun? Of(string checkpointDir)
    {
        string path = Path.Combine(checkpointDir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path));
            string? id = json?["run_id"]?.GetValue<string>();
            int number = json?["run_number"]?.GetValue<int>() ?? 0;
            return string.IsNullOrEmpty(id) || number < 1 ? null : new CheckpointRun(id, number);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or IOException)
        {
            return null;   // unreadable: owned by no one, so never deleted
        }
    }

    /// <summary>The number of the run that wrote <paramref name="checkpointDir"/>; 0 when unknown.</summary>
    public static int NumberOf(string checkpointDir) => Of(checkpointDir)?.Number ?? 0;

    /// <summary>Whether this run wrote <paramref name="checkpointDir"/>.</summary>
    public bool Wrote(string checkpointDir) => Of(checkpointDir)?.Id == Id;

    /// <summary>Writes the file into <paramref name="folder"/> (a checkpoint being written).</summary>
    public void WriteInto(string folder) => File.WriteAllText(Path.Combine(folder, FileName),
        new JsonObject { ["run_id"] = Id, ["run_number"] = Number }.ToJsonString() + "\n");

    /// <inheritdoc/>
    public override string ToString() => "run " + Number.ToString(CultureInfo.InvariantCulture) + " (" + Id + ")";
}
