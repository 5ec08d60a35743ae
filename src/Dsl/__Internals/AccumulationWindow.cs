using System.ComponentModel;

namespace Dsl.__Internals;

/// <summary>
/// The gradient-accumulation window of the micro-batch the loop holds: how many batches share one
/// optimizer step, whether this batch starts or ends that step, and what its backward passes saw.
/// The loop passes it to <see cref="GradientStep.Backward"/>, <see cref="GradientStep.Clip"/> and
/// <see cref="TrainingRun.EndStep"/>, so each call gets what it needs from the window, not from a
/// value an earlier call left behind. One instance per epoch, moved on by each batch.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[Obsolete(Contract.Message, DiagnosticId = Contract.DiagnosticId)]
public sealed class AccumulationWindow
{
    /// <summary>The optimizer step this window trains: the global step it ends with (GlobalStep + 1 while it runs).</summary>
    internal int Step { get; private set; }

    /// <summary>The epoch, counted from 0.</summary>
    internal int Epoch { get; private set; }

    /// <summary>The batch's index in its epoch (a stream: in its pass).</summary>
    internal int Index { get; private set; }

    /// <summary>Batches in the epoch, the denominator of <c>TrainerState.Epoch</c>'s fraction (a stream: MaxSteps × GA).</summary>
    internal int BatchesInEpoch { get; private set; }

    /// <summary>Batches in this window: GradientAccumulationSteps, or fewer at the end of an epoch or stream.</summary>
    public int Size { get; private set; }

    /// <summary>The batch is the first of its window (HF's <c>on_step_begin</c>).</summary>
    public bool StartsStep { get; private set; }

    /// <summary>The batch is the last of its window: the optimizer steps after its backward.</summary>
    public bool EndsStep { get; private set; }

    /// <summary>What the first non-finite loss of this window was (<c>NaN</c>, <c>inf</c>), or null while every loss was finite.</summary>
    internal string? NonFiniteLoss { get; private set; }

    internal AccumulationWindow(int epoch) => Epoch = epoch;

    /// <summary>
    /// Moves to batch <paramref name="index"/> (of optimizer step <paramref name="step"/>) of a list's epoch of <paramref name="batchesInEpoch"/> batches.
    /// HF: step when (i + 1) % GA == 0 or at the epoch's last batch; the last window may be short.
    /// </summary>
    internal void MoveToListBatch(int step, int index, int batchesInEpoch, int gradientAccumulationSteps)
    {
        int ga = gradientAccumulationSteps;
        int windowStart = index / ga * ga;
        Move(step, index, batchesInEpoch, Math.Min(ga, batchesInEpoch - windowStart),
            startsStep: index % ga == 0, endsStep: (index + 1) % ga == 0 || index + 1 == batchesInEpoch);
    }

    /// <summary>
    /// Moves to batch <paramref name="index"/> of a stream, whose window was read whole before its first batch,
    /// so its real length is known. A short window at the end of the stream steps too, as the last window of a
    /// list's epoch does (HF's iterable path leaves its gradients to the next pass: it cannot know it is the last).
    /// </summary>
    internal void MoveToStreamBatch(int step, int index, int batchesPerEpoch, int windowSize, bool startsWindow, bool endsWindow) =>
        Move(step, index, batchesPerEpoch, windowSize, startsWindow, endsWindow);

    private void Move(int step, int index, int batchesInEpoch, int size, bool startsStep, bool endsStep)
    {
        Step = step;
        Index = index;
        BatchesInEpoch = batchesInEpoch;
        Size = size;
        StartsStep = startsStep;
        EndsStep = endsStep;
        if (startsStep) NonFiniteLoss = null;   // a resumed epoch skips whole windows, so its first batch starts one
    }

    /// <summary>Notes a non-finite loss of a batch in this window (the first one is kept).</summary>
    internal void NoteNonFiniteLoss(string what) => NonFiniteLoss ??= what;

    /// <summary>The epoch with its fraction once this batch has trained (<c>TrainerState.Epoch</c>).</summary>
    internal double EpochAfter => Training.StepPlan.EpochAfter(Epoch, Index, BatchesInEpoch);
}
