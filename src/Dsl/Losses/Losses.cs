using TorchSharp;
using static TorchSharp.torch;

namespace Dsl;

/// <summary>
/// Losses a <c>[TrainStep]</c> can return, with Hugging Face Trainer's meaning of the settings that
/// shape them. <c>Losses.CrossEntropy(logits, batch.Labels, args)</c> is the classification loss with
/// <see cref="TrainingArguments.LabelSmoothingFactor"/> applied as HF's <c>LabelSmoother</c> applies it.
/// </summary>
public static class Losses
{
    /// <summary>Labels equal to this are ignored (HF's and PyTorch's <c>ignore_index</c>).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>
    /// Cross-entropy of <paramref name="logits"/> against <paramref name="labels"/>, smoothed by
    /// <see cref="TrainingArguments.LabelSmoothingFactor"/> of <paramref name="args"/>.
    /// </summary>
    /// <param name="logits">Scores, classes in the last dimension: <c>[batch, classes]</c> or <c>[batch, tokens, classes]</c>.</param>
    /// <param name="labels">Class indices with the shape of <paramref name="logits"/> minus its last dimension; -100 is ignored.</param>
    /// <param name="args">The arguments whose <c>LabelSmoothingFactor</c> applies.</param>
    /// <param name="shiftLabels">For causal language models: position t predicts label t + 1 (HF's <c>shift_labels</c>).</param>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, TrainingArguments args, bool shiftLabels = false)
    {
        ArgumentNullException.ThrowIfNull(args);
        return CrossEntropy(logits, labels, args.LabelSmoothingFactor, shiftLabels);
    }

    /// <summary>
    /// Cross-entropy with label smoothing <paramref name="epsilon"/>. With 0 it is PyTorch's mean
    /// cross-entropy over the labels that are not -100 (what HF's models compute); above 0 it is HF's
    /// <c>LabelSmoother</c>: <c>(1 - ε) × NLL + ε × (mean over classes of -log p)</c>, each averaged over
    /// the labels that are not -100.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is outside [0, 1].</exception>
    /// <exception cref="ArgumentException">The shapes do not match.</exception>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, double epsilon, bool shiftLabels = false)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (!(epsilon is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "The label smoothing factor must be in [0, 1].");
        if (logits.dim() != labels.dim() + 1)
            throw new ArgumentException(
                $"Logits of shape [{string.Join(", ", logits.shape)}] need labels with one dimension less, " +
                $"but the labels have shape [{string.Join(", ", labels.shape)}].", nameof(labels));
        if (shiftLabels)
        {
            // HF: logits[..., :-1, :] against labels[..., 1:].
            logits = logits[TensorIndex.Ellipsis, TensorIndex.Slice(null, -1), TensorIndex.Colon];
            labels = labels[TensorIndex.Ellipsis, TensorIndex.Slice(1, null)];
        }
        long classes = logits.shape[^1];
        if (epsilon == 0)
            return nn.functional.cross_entropy(logits.reshape(-1, classes), labels.reshape(-1), ignore_index: IgnoreIndex);

        // HF LabelSmoother: negative log-probabilities; the NLL of the label and the sum over classes,
        // both zeroed where the label is -100 and averaged over the labels that are not.
        using var scope = NewDisposeScope();
        var negLogProbs = nn.functional.log_softmax(logits, -1).neg();
        var target = labels.unsqueeze(-1);
        var padding = target.eq(IgnoreIndex);
        var nll = negLogProbs.gather(-1, target.clamp_min(0)).masked_fill(padding, 0.0);
        var smoothed = negLogProbs.sum(-1, keepdim: true, type: ScalarType.Float32).masked_fill(padding, 0.0);
        var active = padding.logical_not().sum();
        var loss = nll.sum().div(active).mul(1 - epsilon)
            .add(smoothed.sum().div(active.mul(classes)).mul(epsilon));
        return loss.MoveToOuterDisposeScope();
    }
}
