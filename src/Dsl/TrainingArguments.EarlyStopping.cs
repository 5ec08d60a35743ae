namespace Dsl;

public sealed partial record TrainingArguments
{
    /// <summary>
    /// Stop training after this many evaluations in a row without an improvement of
    /// <see cref="MetricForBestModel"/> (Hugging Face's <c>EarlyStoppingCallback(early_stopping_patience)</c>,
    /// here one setting). Needs an <see cref="EvalStrategy"/> and a metric (<see cref="MetricForBestModel"/>, or
    /// <see cref="LoadBestModelAtEnd"/>, which defaults it to <c>loss</c>). null: no early stopping. Default null.
    /// </summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>
    /// How much better than the best so far a metric must be to count as an improvement (HF's
    /// <c>early_stopping_threshold</c>). Default 0.
    /// </summary>
    public double EarlyStoppingThreshold { get; init; }

    /// <summary>
    /// On resume, restore the state of early stopping and of a trainer implementing <see cref="IHookState"/>
    /// from the checkpoint's <c>stateful_callbacks</c> (HF's <c>restore_callback_states_from_checkpoint</c>).
    /// Default true, where HF's is false: a resumed run here ends as an uninterrupted one would, and an
    /// early-stopping counter that restarted at 0 would train longer.
    /// </summary>
    public bool RestoreCallbackStatesFromCheckpoint { get; init; } = true;
}
