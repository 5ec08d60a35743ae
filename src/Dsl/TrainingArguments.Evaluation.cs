namespace Dsl;

public sealed partial record TrainingArguments
{
    /// <summary>
    /// Move the collected predictions and labels to the CPU every this many evaluation batches, freeing
    /// the device's memory (HF's <c>eval_accumulation_steps</c>); null keeps them on the device until the
    /// evaluation ends (faster, more memory). Default null.
    /// </summary>
    public int? EvalAccumulationSteps { get; init; }

    /// <summary>
    /// Compute the <c>[Metric]</c> methods on every evaluation batch and report each one's mean over the
    /// batches, weighted by batch size, instead of once over every example's logits (HF's
    /// <c>batch_eval_metrics</c>): a large evaluation set then keeps no logits in memory. Exact for
    /// metrics that are means over examples (accuracy, a mean loss); others (F1, AUC) become batch
    /// averages. <c>Predict</c> still returns every logit. Default false.
    /// </summary>
    public bool BatchEvalMetrics { get; init; }
}
