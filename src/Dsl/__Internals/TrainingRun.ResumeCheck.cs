using System.Globalization;
using System.Text.Json.Nodes;
using Dsl.Checkpoints;

namespace Dsl.__Internals;

public abstract partial class TrainingRun
{
    /// <summary>
    /// HF's <c>compare_trainer_and_checkpoint_args</c>: a run resumed with other logging, eval or save steps,
    /// batch size or gradient accumulation than its checkpoint's still resumes (the new values apply), with
    /// one warning listing each setting that changed. Gradient accumulation, which HF's state does not hold,
    /// is read from the checkpoint's <c>training_args.json</c>.
    /// </summary>
    private void CompareWithCheckpoint(TrainerState saved, string dir)
    {
        var changed = new List<string>();
        void Compare(string name, int now, int before)
        {
            if (now != before)
                changed.Add($"{name}: {now.ToString(CultureInfo.InvariantCulture)} (from args) != {before.ToString(CultureInfo.InvariantCulture)} (from {Checkpoint.StateFile})");
        }
        Compare("logging_steps", State.LoggingSteps, saved.LoggingSteps);
        Compare("eval_steps", State.EvalSteps, saved.EvalSteps);
        Compare("save_steps", State.SaveSteps, saved.SaveSteps);
        Compare("per_device_train_batch_size", State.TrainBatchSize, saved.TrainBatchSize);
        if (SavedAccumulation(dir) is { } accumulation && accumulation != Args.GradientAccumulationSteps)
            changed.Add($"gradient_accumulation_steps: {Args.GradientAccumulationSteps.ToString(CultureInfo.InvariantCulture)} (from args) != " +
                        $"{accumulation.ToString(CultureInfo.InvariantCulture)} (from {Checkpoint.ArgumentsFile})");
        if (changed.Count == 0) return;
        Warn($"these settings differ from the checkpoint {dir} (the new values apply):\n\t" + string.Join("\n\t", changed));
    }

    private static int? SavedAccumulation(string dir)
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
