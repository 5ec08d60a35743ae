using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Memory;

/// <summary>
/// Runs the backward of a custom autograd function (a recomputed block, a memory-efficient kernel)
/// the way libtorch needs it run. libtorch calls it from native code, so:
/// <list type="bullet">
/// <item>no .NET exception may cross back (it would end the process with a native abort): a failure is
/// recorded, NaN gradients are handed back, and the next forward through any such function throws it,
/// naming where it happened (<see cref="ThrowIfFailed"/>); the NaN gradients make that step's gradient
/// norm non-finite, which <see cref="TrainingArguments.NonFiniteLoss"/> reports;</item>
/// <item>no tensor handle it creates may live to the end of the training step: the incoming gradient, the
/// temporaries and, once libtorch has taken its own reference, the gradients it returned are released, so
/// a step's backward holds one layer's gradients at a time, not every layer's.</item>
/// </list>
/// </summary>
public static class CustomBackward
{
    private static Exception? _failure;
    private static string? _where;

    // The gradients the last backward on this thread returned: libtorch copies its references as soon as
    // the backward returns, so the next backward (or the step's dispose scope) releases ours.
    [ThreadStatic] private static List<Tensor>? _returned;

    /// <summary>
    /// Runs <paramref name="backward"/> for the gradient <paramref name="gradOutput"/> of a function whose
    /// backward is named by <paramref name="where"/>; on failure returns NaN tensors shaped like
    /// <paramref name="like"/> (null where it holds null).
    /// </summary>
    public static List<Tensor> Run(Func<List<Tensor>> backward, Tensor gradOutput, string where, Func<IReadOnlyList<Tensor?>> like)
    {
        ArgumentNullException.ThrowIfNull(backward);
        ArgumentNullException.ThrowIfNull(like);
        ReleaseReturned();
        List<Tensor> gradients;
        using (var scope = torch.NewDisposeScope())
        {
            try
            {
                gradients = backward();
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
                _where ??= where;
                gradients = [.. like().Select(t => t is null ? null! : torch.full_like(t, double.NaN))];
            }
            foreach (var gradient in gradients) gradient?.MoveToOuterDisposeScope();
        }
        gradOutput?.Dispose();   // our handle only: libtorch keeps its own for as long as it needs the gradient
        (_returned ??= []).AddRange(gradients.Where(g => g is not null));
        return gradients;
    }

    /// <summary>Throws the failure a backward recorded, once, with where it happened; does nothing when none did.</summary>
    /// <exception cref="InvalidOperationException">A backward failed; the inner exception is its own.</exception>
    public static void ThrowIfFailed()
    {
        var failure = Interlocked.Exchange(ref _failure, null);
        if (failure is null) return;
        string where = _where ?? "a custom backward";
        _where = null;
        throw new InvalidOperationException(
            $"The backward pass failed in {where}: {failure.Message} The gradients of that step were NaN; " +
            "no optimizer step after it should be trusted.", failure);
    }

    private static void ReleaseReturned()
    {
        if (_returned is null) return;
        foreach (var gradient in _returned) gradient.Dispose();
        _returned.Clear();
    }
}
