namespace Dsl.Training;

/// <summary>
/// HF's <c>EarlyStoppingCallback</c>: counts evaluations in a row that did not improve the watched metric
/// and says when the patience is used up. Pure: the metric values come in, a decision goes out.
/// </summary>
internal sealed class EarlyStopping
{
    /// <summary>The callback's name in <c>trainer_state.json</c>'s <c>stateful_callbacks</c>.</summary>
    public const string StateName = "EarlyStoppingCallback";

    private readonly int? _patience;
    private readonly double _threshold;

    /// <summary>Early stopping after <paramref name="patience"/> evaluations without improvement (null: off).</summary>
    public EarlyStopping(int? patience, double threshold)
    {
        _patience = patience;
        _threshold = threshold;
    }

    /// <summary>Whether early stopping is on.</summary>
    public bool Enabled => _patience is not null;

    /// <summary>Evaluations in a row without an improvement (HF's <c>early_stopping_patience_counter</c>).</summary>
    public int Counter { get; set; }

    /// <summary>
    /// HF's <c>EarlyStoppingCallback.on_evaluate</c>, called before the best metric is updated: an evaluation
    /// improves when there is no best yet, or when it beats the best by more than the threshold; otherwise the
    /// counter grows. Returns true when the patience is used up: training should stop.
    /// </summary>
    public bool Observe(double value, double? best, bool greaterIsBetter)
    {
        if (_patience is not { } patience) return false;
        bool improved = best is not { } previous
            || ((greaterIsBetter ? value > previous : value < previous) && Math.Abs(value - previous) > _threshold);
        Counter = improved ? 0 : Counter + 1;
        return Counter >= patience;
    }

    /// <summary>The callback's entry for <c>stateful_callbacks</c>, or null when early stopping is off.</summary>
    public System.Text.Json.Nodes.JsonObject? SaveState() => _patience is not { } patience ? null : new()
    {
        ["args"] = new System.Text.Json.Nodes.JsonObject { ["early_stopping_patience"] = patience, ["early_stopping_threshold"] = _threshold },
        ["attributes"] = new System.Text.Json.Nodes.JsonObject { ["early_stopping_patience_counter"] = Counter },
    };
}
