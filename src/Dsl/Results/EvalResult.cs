namespace Dsl;

/// <summary>
/// What <c>Evaluate</c> returns, with Hugging Face's keys and rounding: <c>eval_loss</c>
/// (weighted by batch size), <c>eval_{metric}</c> for each <c>[Metric]</c>, <c>eval_runtime</c>
/// (seconds, 4 places), <c>eval_samples_per_second</c> and <c>eval_steps_per_second</c> (3 places),
/// and <c>epoch</c> once training has run.
/// </summary>
public sealed class EvalResult : Metrics
{
    /// <summary>An empty result whose keys start with <paramref name="prefix"/>_.</summary>
    public EvalResult(string prefix) => Prefix = prefix;

    /// <summary>The key prefix: <c>eval</c> for <c>Evaluate</c>, <c>test</c> for <c>Predict</c>.</summary>
    public string Prefix { get; }

    /// <summary>The mean loss over all examples.</summary>
    public double Loss => this[Prefix + "_loss"];

    /// <summary>Seconds the evaluation took.</summary>
    public double Runtime => this[Prefix + "_runtime"];

    /// <summary>Examples per second.</summary>
    public double SamplesPerSecond => this[Prefix + "_samples_per_second"];

    /// <summary>Batches per second.</summary>
    public double StepsPerSecond => this[Prefix + "_steps_per_second"];

    /// <summary>The value of metric <paramref name="name"/>, with or without the prefix.</summary>
    public double Metric(string name) =>
        TryGetValue(name, out double v) ? v : this[Prefix + "_" + name];
}
