using System.Text;

namespace Dsl.Text.Pretrained;

/// <summary>A checkpoint weight whose shape differs from the model's.</summary>
/// <param name="Key">The model's parameter name.</param>
/// <param name="CheckpointShape">The shape in the checkpoint.</param>
/// <param name="ModelShape">The shape in the model.</param>
public sealed record MismatchedWeight(string Key, long[] CheckpointShape, long[] ModelShape);

/// <summary>
/// What <c>FromPretrained</c> did with the checkpoint's weights: HF's <c>output_loading_info</c>
/// (<c>missing_keys</c>, <c>unexpected_keys</c>, <c>mismatched_keys</c>) and its warnings.
/// </summary>
/// <param name="ModelType">The model class loaded into.</param>
/// <param name="Source">The checkpoint folder.</param>
/// <param name="MissingKeys">The model's weights the checkpoint lacks: newly initialised (e.g. a new <c>classifier</c>).</param>
/// <param name="UnexpectedKeys">The checkpoint's weights the model has no place for (e.g. the pretraining heads <c>cls.*</c>); not used.</param>
/// <param name="MismatchedKeys">Weights left newly initialised because their shapes differ (only with <see cref="PretrainedOptions.IgnoreMismatchedSizes"/>).</param>
/// <param name="RenamedKeys">Legacy names read under their new name (<c>LayerNorm.gamma</c> → <c>LayerNorm.weight</c>, <c>beta</c> → <c>bias</c>).</param>
/// <param name="LoadedCount">Weights copied from the checkpoint.</param>
public sealed record LoadReport(
    string ModelType,
    string Source,
    IReadOnlyList<string> MissingKeys,
    IReadOnlyList<string> UnexpectedKeys,
    IReadOnlyList<MismatchedWeight> MismatchedKeys,
    IReadOnlyList<string> RenamedKeys,
    int LoadedCount)
{
    /// <summary>Whether every model weight came from the checkpoint and every checkpoint weight was used.</summary>
    public bool IsExact => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0 && MismatchedKeys.Count == 0;

    /// <summary>HF's warnings, one paragraph each; empty when <see cref="IsExact"/>.</summary>
    public IReadOnlyList<string> Warnings
    {
        get
        {
            var warnings = new List<string>();
            if (UnexpectedKeys.Count > 0)
                warnings.Add(
                    $"Some weights of the model checkpoint at {Source} were not used when initializing {ModelType}: {List(UnexpectedKeys)}\n" +
                    $"- This IS expected if you are initializing {ModelType} from the checkpoint of a model trained on another task or with another architecture (e.g. initializing a BertForSequenceClassification model from a BertForPreTraining model).\n" +
                    $"- This IS NOT expected if you are initializing {ModelType} from the checkpoint of a model that you expect to be exactly identical.");
            if (MissingKeys.Count > 0)
                warnings.Add(
                    $"Some weights of {ModelType} were not initialized from the model checkpoint at {Source} and are newly initialized: {List(MissingKeys)}\n" +
                    "You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.");
            if (MismatchedKeys.Count > 0)
            {
                var text = new StringBuilder(
                    $"Some weights of {ModelType} were not initialized from the model checkpoint at {Source} and are newly initialized because the shapes did not match:");
                foreach (var m in MismatchedKeys)
                    text.Append($"\n- {m.Key}: found shape {Shape(m.CheckpointShape)} in the checkpoint and {Shape(m.ModelShape)} in the model instantiated");
                text.Append("\nYou should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.");
                warnings.Add(text.ToString());
            }
            return warnings;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => IsExact
        ? $"All {LoadedCount} weights of {ModelType} were initialized from the model checkpoint at {Source}."
        : string.Join("\n", Warnings);

    internal static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    private static string List(IReadOnlyList<string> keys) => "['" + string.Join("', '", keys) + "']";
}
