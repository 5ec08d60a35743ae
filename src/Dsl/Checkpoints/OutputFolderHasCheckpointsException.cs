namespace Dsl.Checkpoints;

/// <summary>
/// A new run (not resuming) was asked to save checkpoints into an output folder that already holds another run's.
/// Thrown before training, so the two runs never mix: rotation would count the old checkpoints as this run's and
/// <c>resumeFromCheckpoint: "last"</c> could continue from the wrong one.
/// </summary>
public sealed class OutputFolderHasCheckpointsException : IOException
{
    /// <summary>The folder and the checkpoints found in it.</summary>
    public OutputFolderHasCheckpointsException(string outputDir, IReadOnlyList<string> checkpoints) : base(
        $"The output folder {outputDir} already holds checkpoints of another run ({Describe(checkpoints)}), and this run " +
        "is not resuming. Resume that run (resumeFromCheckpoint: \"last\"), give this run another OutputDir, or set " +
        "TrainingArguments.OverwriteOutputDir = true to start over there (the checkpoints it writes at the same steps " +
        "replace the old ones; nothing else is moved or deleted).")
    {
        OutputDir = outputDir;
        Checkpoints = checkpoints;
    }

    /// <summary>The output folder.</summary>
    public string OutputDir { get; }

    /// <summary>The checkpoint folders found in it, oldest first.</summary>
    public IReadOnlyList<string> Checkpoints { get; }

    private static string Describe(IReadOnlyList<string> checkpoints)
    {
        var names = checkpoints.Select(Path.GetFileName).ToList();
        return names.Count <= 4 ? string.Join(", ", names) : $"{names[0]}, {names[1]}, ... {names[^1]}: {names.Count} in all";
    }
}
