namespace Dsl.__Internals;

public abstract partial class TrainingRun
{
    private bool _warnedNonFinite;
    private bool _skipUpdate;
    private NonFiniteLossException? _stopped;

    // The policy needs to know before optimizer.step(), so it reads the loss every step; under HF's
    // rule (CarryOn) the host path checks the value it reads anyway and the device path checks at logs.
    private bool ChecksEveryStep => Args.NonFiniteLoss != NonFiniteLossPolicy.CarryOn;

    /// <summary>Notes this micro-batch's loss; a NaN or infinity marks the optimizer step.</summary>
    private void ObserveLoss(double value)
    {
        // In a data-parallel run each rank sees only its own loss; acting on it alone would make the
        // ranks diverge (or leave the others waiting), so there it only warns and the policy acts on
        // the gradient norm, computed from the averaged gradients and so the same on every rank.
        if (!double.IsFinite(value)) OnNonFinite($"the loss is {Describe(value)}", act: WorldSize == 1);
    }

    /// <summary>Notes this step's gradient norm.</summary>
    private void ObserveGradNorm(double value)
    {
        if (!double.IsFinite(value)) OnNonFinite($"the gradient norm is {Describe(value)}", act: true);
    }

    private void OnNonFinite(string what, bool act)
    {
        int step = State.GlobalStep + 1;
        var policy = act ? Args.NonFiniteLoss : NonFiniteLossPolicy.CarryOn;
        if (policy != NonFiniteLossPolicy.CarryOn) _skipUpdate = true;
        if (policy == NonFiniteLossPolicy.Stop && _stopped is null)
        {
            _stopped = new NonFiniteLossException(
                $"Training stopped at step {step}: {what}. The update was not applied and nothing was saved after it; " +
                (_lastCheckpoint is null ? "no checkpoint was written before it." : $"the last good checkpoint is {_lastCheckpoint}.") +
                " Lower the learning rate or check the data, then resume from that checkpoint.",
                step, _lastCheckpoint);
            _control |= TrainerControl.StopTraining;
        }
        if (_warnedNonFinite) return;
        _warnedNonFinite = true;
        Warn($"step {step}: {what} (the first non-finite value of this run). " + policy switch
        {
            NonFiniteLossPolicy.SkipStep => "The optimizer update of this step (and of any later such step) is skipped.",
            NonFiniteLossPolicy.Stop => "Training stops.",
            _ => "The optimizer applies it, as HF does; set TrainingArguments.NonFiniteLoss to SkipStep or Stop to keep the weights finite.",
        });
    }

    // HF's logging rule hides a NaN loss in the logged mean; a log entry still shows a NaN gradient norm.
    private void ObserveLogEntry(double gradNorm)
    {
        if (!_warnedNonFinite && !double.IsFinite(gradNorm))
        {
            _warnedNonFinite = true;
            Warn($"at or before step {State.GlobalStep}: the gradient norm is {Describe(gradNorm)} (the first non-finite value seen at a log step).");
        }
    }

    // Whether this step's update is skipped: the generated loop then calls neither optimizer.step()
    // nor scheduler.step(), as HF does for an Fp16 overflow.
    private bool TakeNonFiniteSkip()
    {
        bool skip = _skipUpdate;
        _skipUpdate = false;
        return skip;
    }

    private static string Describe(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "inf" : "-inf";
}
