namespace Dsl.__Internals;

public abstract partial class TrainingRun
{
    /// <summary>The training data is a stream: no length, MaxSteps required, each pass one epoch.</summary>
    private protected bool Streaming { get; }

    /// <summary>HF's <c>steps_in_epoch</c> for a stream: MaxSteps × GA batches, the denominator of the epoch fraction.</summary>
    private int StreamBatchesPerEpoch => (int)Math.Min(int.MaxValue, (long)MaxSteps * Args.GradientAccumulationSteps);

    private bool _passExhausted;

    /// <summary>Called as each micro-batch of a stream is taken: its window is known because the window was read whole.</summary>
    private protected void OnStreamBatch(int index, int windowSize, bool startsWindow, bool endsWindow)
    {
        _batchIndex = index;
        _batchesInEpoch = StreamBatchesPerEpoch;
        _windowSize = windowSize;
        // A short window at the end of the stream steps too, as the last window of a list's epoch does. (HF's
        // iterable path leaves its gradients to the next pass's first window: it cannot know it is the last.)
        IsOptimizerStep = endsWindow;
        // As OnBatch: HF's on_step_begin clears log/evaluate/save at the start of a window.
        StartsStep = startsWindow;
        if (StartsStep) _control &= TrainerControl.StopTraining | TrainerControl.StopEpoch;
    }

    /// <summary>Called when a pass over the stream ends; <paramref name="empty"/>: it gave no batch at all.</summary>
    private protected void OnStreamExhausted(bool empty)
    {
        _passExhausted = !empty;
        if (!empty) return;
        // HF: "There seems not to be a single sample in your epoch_iterator, stopping training".
        Warn($"The training stream gave no batch in epoch {_epoch}, stopping training at step {State.GlobalStep} of {MaxSteps}. " +
             "A stream is enumerated again for every epoch and must yield at least one batch each time.");
        _control |= TrainerControl.StopTraining;
    }
}
