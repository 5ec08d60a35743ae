using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

/// <summary>
/// What <see cref="BertForSequenceClassification"/> returns (HF's <c>SequenceClassifierOutput</c>):
/// the loss when labels were given, the logits, and the labels. Converts to <see cref="StepOutput"/>,
/// so a <c>[TrainStep]</c> or <c>[EvalStep]</c> can return it directly.
/// </summary>
public readonly struct SequenceClassifierOutput
{
    private readonly Tensor? _loss;

    /// <summary>An output; <paramref name="loss"/> is null when the forward pass had no labels.</summary>
    public SequenceClassifierOutput(Tensor? loss, Tensor logits, Tensor? labels)
    {
        _loss = loss;
        Logits = logits;
        Labels = labels;
    }

    /// <summary>The scalar loss (mean over the batch).</summary>
    /// <exception cref="InvalidOperationException">The forward pass had no labels.</exception>
    public Tensor Loss => _loss ?? throw new InvalidOperationException(
        "This forward pass had no labels, so it has no loss. Pass labels (or a TextBatch whose examples have labels).");

    /// <summary>Whether the forward pass computed a loss.</summary>
    public bool HasLoss => _loss is not null;

    /// <summary>The classifier's outputs, [batch, num_labels].</summary>
    public Tensor Logits { get; }

    /// <summary>The labels the loss was computed against, or null.</summary>
    public Tensor? Labels { get; }

    /// <summary>The loss, logits and labels, for the trainer's metrics and <c>Predict</c>.</summary>
    public StepOutput ToStepOutput() => new(Loss, Logits, Labels);

    /// <summary>Same as <see cref="ToStepOutput"/>.</summary>
    public static implicit operator StepOutput(SequenceClassifierOutput output) => output.ToStepOutput();
}
