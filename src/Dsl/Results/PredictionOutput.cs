using static TorchSharp.torch;

namespace Dsl;

/// <summary>
/// What <c>Predict</c> returns (Hugging Face's <c>PredictionOutput</c>): the logits of every example
/// and their labels, on the CPU, and the <c>test_*</c> metrics. Dispose it to free the tensors.
/// </summary>
/// <param name="Predictions">The step's logits for every example, concatenated; null when the step returns only a loss.</param>
/// <param name="LabelIds">The labels of every example; null when the step returns none.</param>
/// <param name="Metrics">Loss, metrics and speed, with the <c>test_</c> prefix.</param>
public sealed record PredictionOutput(Tensor? Predictions, Tensor? LabelIds, EvalResult Metrics) : IDisposable
{
    /// <summary>Frees the prediction and label tensors.</summary>
    public void Dispose()
    {
        Predictions?.Dispose();
        LabelIds?.Dispose();
    }
}
