using System.Globalization;
using System.Text.Json;

namespace Dsl.Memory;

/// <summary>
/// How blocks are recomputed under gradient checkpointing: the keys of HF's
/// <c>gradient_checkpointing_kwargs</c> (PyTorch's <c>torch.utils.checkpoint.checkpoint</c> arguments)
/// that mean something here.
/// </summary>
public sealed record GradientCheckpointingOptions
{
    /// <summary>The kwargs keys <see cref="FromKwargs"/> accepts.</summary>
    public static readonly IReadOnlyList<string> KnownKeys = ["preserve_rng_state", "determinism_check", "use_reentrant"];

    /// <summary>
    /// PyTorch's <c>preserve_rng_state</c>: the recomputation in backward starts from the generator
    /// state the forward saw, so dropout drops the same elements and the gradients equal those without
    /// checkpointing. Off saves copying a few kilobytes per block and gives other masks. Default true.
    /// </summary>
    public bool PreserveRngState { get; init; } = true;

    /// <summary>
    /// PyTorch's <c>determinism_check</c>: <c>"default"</c> checks that the recomputed output has the
    /// shape and dtype of the forward's and fails, naming the block, when it does not; <c>"none"</c>
    /// skips the check. Default <c>"default"</c>.
    /// </summary>
    public string DeterminismCheck { get; init; } = "default";

    /// <summary>
    /// Reads HF's <c>gradient_checkpointing_kwargs</c>. <c>use_reentrant</c> is accepted and changes
    /// nothing: the recomputation here computes the gradients of the block's inputs and of its
    /// parameters in one call, so its parameters get gradients even when no input requires one (what
    /// PyTorch's non-reentrant variant gives), and either value trains the same.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown key or a value of the wrong type; the message names it.</exception>
    public static GradientCheckpointingOptions FromKwargs(IReadOnlyDictionary<string, object>? kwargs)
    {
        var options = new GradientCheckpointingOptions();
        if (kwargs is null) return options;
        foreach (var (key, value) in kwargs)
        {
            options = key switch
            {
                "preserve_rng_state" => options with { PreserveRngState = Bool(key, value) },
                "determinism_check" => options with { DeterminismCheck = Check(key, value) },
                "use_reentrant" => Ignore(options, Bool(key, value)),
                _ => throw new ArgumentException(
                    $"TrainingArguments.GradientCheckpointingKwargs has '{key}'; the keys that apply are {string.Join(", ", KnownKeys)}.",
                    "GradientCheckpointingKwargs"),
            };
        }
        return options;
    }

    private static GradientCheckpointingOptions Ignore(GradientCheckpointingOptions options, bool _) => options;

    private static bool Bool(string key, object? value) => value switch
    {
        bool b => b,
        JsonElement { ValueKind: JsonValueKind.True } => true,
        JsonElement { ValueKind: JsonValueKind.False } => false,
        _ => throw Wrong(key, value, "true or false"),
    };

    private static string Check(string key, object? value)
    {
        string? text = value switch { string s => s, JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(), _ => null };
        return text is "default" or "none" ? text : throw Wrong(key, value, "\"default\" or \"none\"");
    }

    private static ArgumentException Wrong(string key, object? value, string allowed) => new(
        $"TrainingArguments.GradientCheckpointingKwargs[\"{key}\"] is {Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null"}; it must be {allowed}.",
        "GradientCheckpointingKwargs");
}
