using System.ComponentModel;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.__Internals;

/// <summary>
/// HF's <c>nested_concat</c> / <c>torch_pad_and_concatenate</c>: batches of predictions or labels are joined
/// along the first dimension; where they differ in the second (token classification, dynamic padding),
/// the shorter ones are padded with -100 to the longest. Every other dimension must agree.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
internal static class PaddedConcatenation
{
    /// <summary>HF's <c>padding_index</c> for predictions and labels (the label index cross-entropy ignores).</summary>
    public const int PaddingIndex = -100;

    /// <summary>Joins <paramref name="parts"/> along dimension 0, padding dimension 1 with <see cref="PaddingIndex"/> where it differs.</summary>
    /// <exception cref="InvalidOperationException">The parts differ in rank or in a dimension past the second; the message names both shapes.</exception>
    public static Tensor Concatenate(IReadOnlyList<Tensor> parts, string what, string stepName)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var first = parts[0];
        long longest = first.dim() >= 2 ? first.shape[1] : 0;
        bool differ = false;
        foreach (var part in parts)
        {
            if (part.dim() != first.dim() || (first.dim() >= 2 && !SameAfterSecond(part.shape, first.shape)))
                throw new InvalidOperationException(
                    $"{stepName} returned {what} of shapes {Show(first.shape)} and {Show(part.shape)}; batches may differ only in " +
                    "their second dimension (sequence length), which is padded with -100 as Hugging Face does.");
            if (first.dim() >= 2 && part.shape[1] != longest)
            {
                differ = true;
                longest = Math.Max(longest, part.shape[1]);
            }
        }
        if (!differ) return torch.cat(parts.ToArray(), 0);

        var padded = new Tensor[parts.Count];
        for (int i = 0; i < parts.Count; i++)
        {
            long missing = longest - parts[i].shape[1];
            if (missing == 0) { padded[i] = parts[i]; continue; }
            // nn.functional.pad counts from the last dimension: (0, 0) for each past the second, then (0, missing).
            var pad = new long[2 * (parts[i].dim() - 1)];
            pad[^1] = missing;
            padded[i] = nn.functional.pad(parts[i], pad, value: PaddingIndex);
        }
        return torch.cat(padded, 0);
    }

    private static bool SameAfterSecond(long[] a, long[] b)
    {
        for (int d = 2; d < a.Length; d++)
            if (a[d] != b[d]) return false;
        return true;
    }

    private static string Show(long[] shape) => "[" + string.Join(", ", shape) + "]";
}

/// <summary>Per-batch metrics (<see cref="TrainingArguments.BatchEvalMetrics"/>): each metric's mean over batches, weighted by batch size.</summary>
internal sealed class BatchMetrics
{
    private readonly List<(string Name, double WeightedSum, long Examples)> _metrics = [];

    public void Add(string name, double value, int batchSize)
    {
        int at = _metrics.FindIndex(m => m.Name == name);
        if (at < 0) _metrics.Add((name, value * batchSize, batchSize));
        else _metrics[at] = (name, _metrics[at].WeightedSum + value * batchSize, _metrics[at].Examples + batchSize);
    }

    /// <summary>Sets <c>{prefix}_{name}</c> to each metric's mean.</summary>
    public void AddMeans(EvalResult metrics)
    {
        foreach (var (name, sum, examples) in _metrics) metrics.Set(metrics.Prefix + "_" + name, sum / examples);
    }
}
