using static TorchSharp.torch;

namespace Dsl;

/// <summary>
/// A model that computes in a lower precision while its weights stay float32, casting inside its own
/// forward: what PyTorch's autocast does, which TorchSharp lacks. Optional: without it, Bf16 and Fp16
/// train any module on low-precision working copies of its weights with float32 masters in the
/// optimizer. Implement it for finer control (which products run in low precision, which layers stay
/// float32). With <see cref="TrainingArguments.Bf16"/> or <see cref="TrainingArguments.Fp16"/> the
/// trainer sets <see cref="ComputeDType"/> to bfloat16 or float16 for training and evaluation, and
/// back after; the model casts weights and activations for its matrix products and keeps reductions,
/// norms and the loss in float32. Gradients reach the float32 weights through the casts, so the
/// optimizer, the checkpoints and everything else see float32.
/// </summary>
public interface IMixedPrecisionModel
{
    /// <summary>The dtype matrix products run in, or null for the weights' own (float32).</summary>
    ScalarType? ComputeDType { get; set; }
}
