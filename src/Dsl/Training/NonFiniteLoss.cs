using Dsl.__Internals;

namespace Dsl.Training;

/// <summary>
/// <see cref="TrainingArguments.NonFiniteLoss"/>: what a NaN or infinite loss or gradient norm does to
/// the optimizer step it belongs to, and the one warning a run gives about it. Pure: values in,
/// decisions out.
/// </summary>
internal sealed class NonFiniteLoss
{
    private readonly NonFiniteLossPolicy _policy;
    private readonly bool _actsOnLoss;
    private readonly Action<string> _warn;
    private bool _warned;

    /// <param name="policy">The setting.</param>
    /// <param name="worldSize">
    /// Ranks training together. In a data-parallel run each rank sees only its own loss; acting on it alone
    /// would make the ranks diverge (or leave the others waiting), so there a loss only warns and the policy
    /// acts on the gradient norm, computed from the averaged gradients and so the same on every rank.
    /// </param>
    /// <param name="warn">Where the warning goes.</param>
    public NonFiniteLoss(NonFiniteLossPolicy policy, int worldSize, Action<string> warn)
    {
        _policy = policy;
        _actsOnLoss = worldSize == 1;
        _warn = warn;
    }

    /// <summary>
    /// Whether every loss must be read: the policy decides before <c>optimizer.step()</c>. Under HF's rule
    /// (CarryOn) the host path checks the value it reads anyway and the device path checks at logs.
    /// </summary>
    public bool ChecksEveryStep => _policy != NonFiniteLossPolicy.CarryOn;

    /// <summary>Notes a micro-batch's loss in its window, which the step's decision reads.</summary>
    /// <param name="value">The loss.</param>
    /// <param name="step">The optimizer step the batch belongs to (GlobalStep + 1).</param>
    /// <param name="window">The batch's window.</param>
    public void ObserveLoss(double value, int step, AccumulationWindow window)
    {
        if (double.IsFinite(value)) return;
        bool acts = _actsOnLoss && _policy != NonFiniteLossPolicy.CarryOn;
        if (acts) window.NoteNonFiniteLoss(Describe(value));
        WarnOnce(step, $"the loss is {Describe(value)}", acts ? _policy : NonFiniteLossPolicy.CarryOn);
    }

    /// <summary>
    /// The decision for an optimizer step: null to apply it, otherwise why it is not applied. A NaN or
    /// infinity in the window's losses or in <paramref name="gradNorm"/> (null when not read this step)
    /// skips the step under SkipStep and Stop.
    /// </summary>
    public string? Decide(AccumulationWindow window, double? gradNorm, int step)
    {
        string? reason = window.NonFiniteLoss is { } loss ? $"the loss is {loss}" : null;
        if (gradNorm is { } norm && !double.IsFinite(norm))
        {
            WarnOnce(step, $"the gradient norm is {Describe(norm)}", _policy);
            reason ??= $"the gradient norm is {Describe(norm)}";
        }
        return _policy == NonFiniteLossPolicy.CarryOn ? null : reason;
    }

    /// <summary>Stops the run (the Stop policy) rather than only skipping the step.</summary>
    public bool Stops => _policy == NonFiniteLossPolicy.Stop;

    /// <summary>HF's logging rule hides a NaN loss in the logged mean; a log entry still shows a NaN gradient norm.</summary>
    public void ObserveLoggedGradNorm(double gradNorm, int step)
    {
        if (_warned || double.IsFinite(gradNorm)) return;
        _warned = true;
        _warn($"at or before step {step}: the gradient norm is {Describe(gradNorm)} (the first non-finite value seen at a log step).");
    }

    /// <summary>The exception <c>Train</c> ends with under the Stop policy.</summary>
    public static NonFiniteLossException StopException(int step, string what, string? lastCheckpoint) => new(
        $"Training stopped at step {step}: {what}. The update was not applied and nothing was saved after it; " +
        (lastCheckpoint is null ? "no checkpoint was written before it." : $"the last good checkpoint is {lastCheckpoint}.") +
        " Lower the learning rate or check the data, then resume from that checkpoint.",
        step, lastCheckpoint);

    private void WarnOnce(int step, string what, NonFiniteLossPolicy policy)
    {
        if (_warned) return;
        _warned = true;
        _warn($"step {step}: {what} (the first non-finite value of this run). " + policy switch
        {
            NonFiniteLossPolicy.SkipStep => "The optimizer update of this step (and of any later such step) is skipped.",
            NonFiniteLossPolicy.Stop => "Training stops.",
            _ => "The optimizer applies it, as HF does; set TrainingArguments.NonFiniteLoss to SkipStep or Stop to keep the weights finite.",
        });
    }

    private static string Describe(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "inf" : "-inf";
}
