using Dsl.Logging;
using static TorchSharp.torch;

namespace ImdbSentiment;

/// <summary>
/// What the tutorial's own <c>train()</c> prints, for <c>--tutorial</c>: <c>Starting epoch N</c>
/// when an epoch begins, and <c>Step i: Loss = x</c> for the batches i = 0, logging_steps,
/// 2·logging_steps, ... of each epoch, where i counts batches within the epoch (Python's
/// <c>enumerate(dataloader)</c>) and x is that batch's loss as Python prints <c>loss.item()</c>.
/// The loss tensor of a batch to print is kept (moved out of the step's scope on purpose) and read
/// after the optimizer step, so only those steps wait for the device, as the tutorial's do.
/// </summary>
public sealed class TutorialOutput(int loggingSteps, TextWriter? output = null)
{
    private readonly TextWriter _output = output ?? Console.Out;
    private readonly List<(int Batch, Tensor Loss)> _pending = [];
    private int _batch;

    /// <summary>Called when epoch <paramref name="epoch"/> (from 0) begins.</summary>
    public void OnEpochBegin(int epoch)
    {
        _batch = 0;
        _output.WriteLine($"Starting epoch {epoch + 1}");
    }

    /// <summary>Called by the train step with its batch's loss, before the loop's backward pass.</summary>
    public void OnBatch(Tensor loss)
    {
        if (_batch % loggingSteps == 0) _pending.Add((_batch, loss.detach().DetachFromDisposeScope()));
        _batch++;
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
