using Dsl.Memory;

namespace Dsl.Text.Modeling;

// Gradient checkpointing (each BertLayer keeps only its input) and the activation estimate, under HF's names.
public sealed partial class BertForSequenceClassification
{
    /// <summary>Whether gradient checkpointing is on (HF's <c>is_gradient_checkpointing</c>).</summary>
    public bool IsGradientCheckpointing => GradientCheckpointing.IsEnabled(this);

    /// <summary>
    /// Turns gradient checkpointing on (HF's <c>gradient_checkpointing_enable</c>): in training, each
    /// layer keeps only its input and is run again in backward. <see cref="Dsl.TrainingArguments.GradientCheckpointing"/>
    /// calls it when training starts.
    /// </summary>
    public void GradientCheckpointingEnable(GradientCheckpointingOptions? options = null) => GradientCheckpointing.Enable(this, options);

    /// <summary>Turns gradient checkpointing off (HF's <c>gradient_checkpointing_disable</c>).</summary>
    public void GradientCheckpointingDisable() => GradientCheckpointing.Disable(this);

    /// <inheritdoc/>
    public ActivationMemory EstimateActivations(ActivationQuery query) => Config.EstimateActivations(query);
}
