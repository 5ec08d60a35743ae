using Dsl.__Internals;

namespace Dsl.Tests.Training;

/// <summary>The window a batch carries: HF steps when (i + 1) % GA == 0 or at the epoch's last batch.</summary>
public sealed class AccumulationWindowTests
{
    [Fact]
    public void A_list_epoch_of_seven_batches_with_GA_three_steps_after_batches_three_six_and_seven()
    {
        var window = new AccumulationWindow(epoch: 0);
        var seen = new List<(int Size, bool Starts, bool Ends)>();
        for (int i = 0; i < 7; i++)
        {
            window.MoveToListBatch(step: 1 + i / 3, index: i, batchesInEpoch: 7, gradientAccumulationSteps: 3);
            seen.Add((window.Size, window.StartsStep, window.EndsStep));
        }
        Assert.Equal(
            [(3, true, false), (3, false, false), (3, false, true), (3, true, false), (3, false, false), (3, false, true), (1, true, true)],
            seen);
    }

    [Fact]
    public void A_non_finite_loss_is_kept_for_its_window_only()
    {
        var window = new AccumulationWindow(epoch: 0);
        window.MoveToListBatch(step: 1, index: 0, batchesInEpoch: 4, gradientAccumulationSteps: 2);
        window.NoteNonFiniteLoss("NaN");
        window.MoveToListBatch(step: 1, index: 1, batchesInEpoch: 4, gradientAccumulationSteps: 2);
        window.NoteNonFiniteLoss("inf");
        Assert.Equal("NaN", window.NonFiniteLoss);   // the first one of the window is kept
        window.MoveToListBatch(step: 2, index: 2, batchesInEpoch: 4, gradientAccumulationSteps: 2);
        Assert.Null(window.NonFiniteLoss);
    }

    [Fact]
    public void A_stream_window_takes_the_length_the_stream_read()
    {
        var window = new AccumulationWindow(epoch: 2);
        window.MoveToStreamBatch(step: 9, index: 5, batchesPerEpoch: 40, windowSize: 2, startsWindow: false, endsWindow: true);
        Assert.Equal((9, 2, false, true), (window.Step, window.Size, window.StartsStep, window.EndsStep));
        Assert.Equal(2 + 6 / 40.0, window.EpochAfter);
    }
}
