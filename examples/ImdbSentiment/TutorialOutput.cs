using Dsl.Logging;
using static TorchSharp.torch;

namespace ImdbSentiment;

/// <summary>
/// What the tutorial's own <c>train()</c> prints, for <c>--tutorial</c>: <c>Starting epoch N</c>
/// before an epoch's first batch, and <c>Step i: Loss = x</c> for the batches i = 0, logging_steps,
/// 2·logging_steps, ... of each epoch, where i counts batches within the epoch (Python's
/// <c>enumerate(dataloader)</c>) and x is that batch's loss as Python prints <c>loss.item()</c>.
/// The loss tensor of a batch to print is kept (moved out of the step's scope on purpose) and read
/// after the optimizer step, so only those steps wait for the device, as the tutorial's do.
/// </summary>
public sealed class TutorialOutput(int batchesPerEpoch, int loggingSteps, TextWriter? output = null)
{
    private readonly TextWriter _output = output ?? Console.Out;
    private readonly List<(int Batch, Tensor Loss)> _pending = [];
    private int _batches;

    /// <summary>Called by the train step with its batch's loss, before the loop's backward pass.</summary>
    public void OnBatch(Tensor loss)
    {
        int epoch = _batches / batchesPerEpoch, batch = _batches % batchesPerEpoch;
        _batches++;
        if (batch == 0) _output.WriteLine($"Starting epoch {epoch + 1}");
        if (batch % loggingSteps == 0) _pending.Add((batch, loss.detach().DetachFromDisposeScope()));
    }

    /// <summary>Called after each optimizer step: prints the kept losses, in batch order.</summary>
    public void OnStepEnd()
    {
        foreach (var (batch, loss) in _pending)
        {
            _output.WriteLine($"Step {batch}: Loss = {PythonFloat.Repr((double)loss.item<float>())}");
            loss.Dispose();
        }
        _pending.Clear();
    }
}
