using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Memory;

/// <summary>
/// A model that supports gradient checkpointing (HF's <c>supports_gradient_checkpointing</c>): its
/// forward runs its blocks through <see cref="GradientCheckpointing.Checkpoint(nn.Module{Tensor, Tensor}, Tensor)"/>.
/// Implementing it needs no code: the members have HF's names and default bodies, and
/// <see cref="TrainingArguments.GradientCheckpointing"/> calls <see cref="GradientCheckpointingEnable"/>
/// when training starts. A model that does not implement it is refused with that setting, by name.
/// </summary>
public interface IGradientCheckpointing
{
    /// <summary>Whether checkpointing is on (HF's <c>is_gradient_checkpointing</c>).</summary>
    bool IsGradientCheckpointing => GradientCheckpointing.IsEnabled(AsModule());

    /// <summary>Turns checkpointing on for the model's blocks (HF's <c>gradient_checkpointing_enable</c>).</summary>
    void GradientCheckpointingEnable(GradientCheckpointingOptions? options = null) => GradientCheckpointing.Enable(AsModule(), options);

    /// <summary>Turns checkpointing off (HF's <c>gradient_checkpointing_disable</c>).</summary>
    void GradientCheckpointingDisable() => GradientCheckpointing.Disable(AsModule());

    private nn.Module AsModule() => this as nn.Module ?? throw new InvalidOperationException(
        $"{GetType().Name} implements IGradientCheckpointing but is not a TorchSharp module; only modules can be checkpointed.");
}
