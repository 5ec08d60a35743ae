using static TorchSharp.torch;

namespace Dsl.Memory;

/// <summary>
/// A model that can tell how much memory its activations take for a batch: what a training step keeps
/// for backward, and the largest temporary on top of it. Only the model knows its layers, so the runtime
/// asks it; a model without it gets an estimate of its parameters, gradients and optimizer state only.
/// Dsl.Text's BERT implements it.
/// </summary>
public interface IActivationMemory
{
    /// <summary>The activation memory of one batch of <paramref name="query"/>'s shape and settings.</summary>
    ActivationMemory EstimateActivations(ActivationQuery query);
}

/// <summary>The batch and the settings an activation estimate is for.</summary>
/// <param name="BatchSize">Examples per batch (the per-device micro-batch).</param>
/// <param name="SequenceLength">The longest batch's length, in tokens (or the model's own unit).</param>
/// <param name="Training">A training step (forward and backward) rather than an evaluation.</param>
/// <param name="GradientCheckpointing">Checkpointed blocks keep only their inputs.</param>
/// <param name="ComputeDType">The dtype products run in under mixed precision, or null for float32.</param>
public readonly record struct ActivationQuery(int BatchSize, int SequenceLength, bool Training, bool GradientCheckpointing, ScalarType? ComputeDType);

/// <summary>Bytes of activations.</summary>
/// <param name="Kept">Kept from the forward until backward uses them, at their most (the end of the forward).</param>
/// <param name="Transient">The largest temporary on top of <paramref name="Kept"/> (one layer's scores, its recomputation, its gradients).</param>
/// <param name="Advice">A model's own setting that would lower them (e.g. a cheaper attention), in one sentence; null when none.</param>
public readonly record struct ActivationMemory(double Kept, double Transient, string? Advice = null)
{
    /// <summary>The peak: <see cref="Kept"/> + <see cref="Transient"/>.</summary>
    public double Peak => Kept + Transient;
}
