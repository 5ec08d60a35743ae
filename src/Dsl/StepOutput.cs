using static TorchSharp.torch;

namespace Dsl;

/// <summary>
/// What a <c>[TrainStep]</c> or <c>[EvalStep]</c> may return instead of a bare loss: the loss, and
/// the logits and labels that <c>[Metric]</c> methods and <c>Predict</c> need.
/// </summary>
/// <param name="Loss">The scalar loss of the batch (mean over its examples).</param>
/// <param name="Logits">The model's predictions for the batch, first dimension = batch size.</param>
/// <param name="Labels">The labels of the batch, first dimension = batch size.</param>
public readonly record struct StepOutput(Tensor Loss, Tensor? Logits = null, Tensor? Labels = null)
{
    /// <summary>A step output holding only a loss.</summary>
    public static implicit operator StepOutput(Tensor loss) => new(loss);
}
