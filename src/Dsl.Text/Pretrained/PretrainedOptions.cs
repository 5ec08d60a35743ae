using Dsl.Text.Modeling;
using static TorchSharp.torch;

namespace Dsl.Text.Pretrained;

/// <summary>
/// Options of <c>FromPretrained</c>, after HF's <c>from_pretrained</c> keyword arguments.
/// </summary>
public sealed record PretrainedOptions
{
    /// <summary>HF's <c>num_labels</c>: overrides <c>config.json</c> (and resets <c>id2label</c> when it changes the count).</summary>
    public int? NumLabels { get; init; }

    /// <summary>HF's <c>id2label</c>: overrides <c>config.json</c> and sets <c>num_labels</c> to its count.</summary>
    public IReadOnlyDictionary<int, string>? Id2Label { get; init; }

    /// <summary>A configuration to use instead of the folder's <c>config.json</c>.</summary>
    public BertConfig? Config { get; init; }

    /// <summary>
    /// HF's <c>ignore_mismatched_sizes</c>: a checkpoint weight whose shape differs from the model's
    /// (e.g. a classifier for another number of labels) is left newly initialised instead of failing.
    /// </summary>
    public bool IgnoreMismatchedSizes { get; init; }

    /// <summary>
    /// Read <c>pytorch_model.bin</c> (a Python pickle) when the folder has no safetensors file. Off by
    /// default: pickles can run code when Python loads them, so the loader refuses them and says how
    /// to convert them. When set, TorchSharp.PyBridge reads the file (it runs no Python code).
    /// </summary>
    public bool AllowPickle { get; init; }

    /// <summary>Where HF's warnings about missing, unexpected and mismatched weights go (e.g. <see cref="Console.Error"/>); null: nowhere (they are in the <see cref="LoadReport"/>).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>
    /// HF's <c>attn_implementation</c>: <c>"sdpa"</c> or <c>"eager"</c>, overriding <c>config.json</c>
    /// (see <see cref="BertConfig.AttnImplementation"/>); null keeps the folder's, or the default.
    /// </summary>
    public string? AttnImplementation { get; init; }

    /// <summary>The device to move the model to after loading; null: CPU.</summary>
    public Device? Device { get; init; }
}
