using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Memory;

/// <summary>
/// Failures inside a custom autograd function's backward (a recomputed block, a memory-efficient
/// kernel). libtorch calls those from native code, which a .NET exception must never cross (it would end
/// the process with a native abort), so the backward records the exception here and hands back NaN
/// gradients; the next forward through any such function throws it, naming where it happened. The NaN
/// gradients make that step's gradient norm non-finite, which <see cref="TrainingArguments.NonFiniteLoss"/>
/// reports, so no step's gradients look right when they are not.
/// </summary>
public static class BackwardFailures
{
    private static Exception? _pending;
    private static string? _where;

    /// <summary>
    /// Records <paramref name="exception"/>, raised in <paramref name="where"/>, and returns the gradients
    /// to hand back: NaN tensors shaped like <paramref name="like"/>, null where it holds null.
    /// </summary>
    public static List<Tensor> Record(Exception exception, string where, IReadOnlyList<Tensor?> like)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(like);
        Interlocked.CompareExchange(ref _pending, exception, null);
        _where ??= where;
        var gradients = new List<Tensor>(like.Count);
        foreach (var tensor in like) gradients.Add(tensor is null ? null! : torch.full_like(tensor, double.NaN));
        return gradients;
    }

    /// <summary>Throws the failure a backward recorded, once, with where it happened; does nothing when none did.</summary>
    /// <exception cref="InvalidOperationException">A backward failed; the inner exception is its own.</exception>
    public static void ThrowIfAny()
    {
        var failure = Interlocked.Exchange(ref _pending, null);
        if (failure is null) return;
        string where = _where ?? "a custom backward";
        _where = null;
        throw new InvalidOperationException(
            $"The backward pass failed in {where}: {failure.Message} The gradients of that step were NaN; " +
            "no optimizer step after it should be trusted.", failure);
    }
}
