using static TorchSharp.torch;

namespace Dsl;

/// <summary>
/// A model that can compute in a lower precision while its weights stay float32: what PyTorch's
/// autocast does, which TorchSharp lacks. With <see cref="TrainingArguments.Bf16"/> the trainer sets
/// <see cref="ComputeDType"/> to bfloat16 for training and evaluation, and back to null after; the
/// model casts weights and activations for its matrix products and keeps reductions, norms and the
/// loss in float32. Gradients reach the float32 weights through the casts, so the optimizer, the
/// checkpoints and everything else see float32.
/// </summary>
public interface IMixedPrecisionModel
{
    /// <summary>The dtype matrix products run in, or null for the weights' own (float32).</summary>
    ScalarType? ComputeDType { get; set; }
}
