using System.Globalization;
using System.Text.Json.Nodes;
using Dsl.Checkpoints;

namespace Dsl.Training;

/// <summary>
/// HF's <c>compare_trainer_and_checkpoint_args</c>: a run resumed with other logging, eval or save steps,
/// batch size or gradient accumulation than its checkpoint's still resumes (the new values apply), with
/// one warning listing each setting that changed. Pure.
/// </summary>
internal static class SettingsComparison
{
    /// <summary>The warning for the settings that differ, or null when none do.</summary>
    /// <param name="now">This run's resolved state (its steps and batch size).</param>
    /// <param name="saved">The checkpoint's state.</param>
    /// <param name="accumulationNow">This run's GradientAccumulationSteps.</param>
    /// <param name="accumulationSaved">The checkpoint's, from its <c>training_args.json</c> (HF's state does not hold it); null when unknown.</param>
    /// <param name="dir">The checkpoint, named in the warning.</param>
    public static string? Compare(TrainerState now, TrainerState saved, int accumulationNow, int? accumulationSaved, string dir)
    {
        var changed = new List<string>();
        void Add(string name, int value, int before, string source)
        {
            if (value != before)
                changed.Add($"{name}: {value.ToString(CultureInfo.InvariantCulture)} (from args) != {before.ToString(CultureInfo.InvariantCulture)} (from {source})");
        }
        Add("logging_steps", now.LoggingSteps, saved.LoggingSteps, Checkpoint.StateFile);
        Add("eval_steps", now.EvalSteps, saved.EvalSteps, Checkpoint.StateFile);
        Add("save_steps", now.SaveSteps, saved.SaveSteps, Checkpoint.StateFile);
        Add("per_device_train_batch_size", now.TrainBatchSize, saved.TrainBatchSize, Checkpoint.StateFile);
        if (accumulationSaved is { } before) Add("gradient_accumulation_steps", accumulationNow, before, Checkpoint.ArgumentsFile);
        return changed.Count == 0 ? null
            : $"these settings differ from the checkpoint {dir} (the new values apply):\n\t" + string.Join("\n\t", changed);
    }

    /// <summary>The gradient accumulation a checkpoint was trained with, from its <c>training_args.json</c>; null when unknown.</summary>
    public static int? SavedAccumulation(string dir)
    {
        string path = Path.Combine(dir, Checkpoint.ArgumentsFile);
        if (!File.Exists(path)) return null;
        try
        {
            // Read as a double: a hand-edited or Python-written file may say 2.0.
            return JsonNode.Parse(File.ReadAllText(path))?["gradient_accumulation_steps"]?.GetValue<double>() is { } value ? (int)value : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException)
        {
            return null;   // only a warning depends on it; the checksums already vouched for the file
        }
    }
}
