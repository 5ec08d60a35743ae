using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Distributed;

/// <summary>
/// Evaluation in a data-parallel run: each rank evaluates its batches (rank r takes batches r, r + N, ...
/// of the dataset in order, none repeated), then every rank gathers every rank's logits and labels back
/// into dataset order, so the metrics see exactly the examples one process would, once each (what HF's
/// <c>gather_for_metrics</c> returns after trimming accelerate's padding).
/// </summary>
internal static class EvaluationGather
{
    /// <summary>Checks that every rank has at least one batch, so that all of them take part in the gathers.</summary>
    public static void RequireBatchPerRank(ProcessGroup group, int datasetSize, int batchSize, bool dropLast)
    {
        int batches = dropLast ? datasetSize / batchSize : (datasetSize + batchSize - 1) / batchSize;
        if (batches < group.WorldSize)
            throw new ArgumentException(
                $"The evaluation dataset has {datasetSize} examples: {batches} batches of PerDeviceEvalBatchSize {batchSize}, " +
                $"fewer than the {group.WorldSize} ranks; every rank needs at least one batch. Lower PerDeviceEvalBatchSize.");
    }

    /// <summary>
    /// Every rank's <paramref name="local"/> rows (its batches, concatenated) gathered in dataset order.
    /// Disposes <paramref name="local"/>; the result is on the CPU and outlives any dispose scope.
    /// </summary>
    public static Tensor InDatasetOrder(ProcessGroup group, Tensor local, int datasetSize, int batchSize, bool dropLast, string what)
    {
        using var scope = torch.NewDisposeScope();
        var host = PadToLongestRank(group, local, what).cpu().contiguous();
        var parts = group.AllGather(host.bytes.ToArray(), "the gathering of evaluation " + what);
        long[] rowShape = host.shape[1..];
        long rowBytes = host.ElementSize;
        foreach (long d in rowShape) rowBytes *= d;

        var byRank = new Tensor[group.WorldSize];
        for (int r = 0; r < byRank.Length; r++)
        {
            long rows = rowBytes == 0 ? 0 : parts[r].Length / rowBytes;
            byRank[r] = torch.empty([rows, .. rowShape], dtype: host.dtype);
            byRank[r].bytes = parts[r];
        }

        int batches = dropLast ? datasetSize / batchSize : (datasetSize + batchSize - 1) / batchSize;
        int examples = dropLast ? batches * batchSize : datasetSize;
        var ordered = new List<Tensor>(batches);
        for (int k = 0; k < batches; k++)
        {
            int rows = Math.Min(batchSize, examples - k * batchSize);
            ordered.Add(byRank[k % group.WorldSize].narrow(0, (long)(k / group.WorldSize) * batchSize, rows));
        }
        var all = torch.cat(ordered, 0);
        local.Dispose();
        return all.DetachFromDisposeScope();
    }

    /// <summary>
    /// HF's <c>pad_across_processes(dim=1, pad_index=-100)</c>: ranks whose batches were shorter in the second
    /// dimension (dynamic padding) pad their rows with -100 to the longest rank's, so the rows can be gathered.
    /// </summary>
    private static Tensor PadToLongestRank(ProcessGroup group, Tensor local, string what)
    {
        if (local.dim() < 2) return local;
        long longest = 0;
        foreach (byte[] length in group.AllGather(BitConverter.GetBytes(local.shape[1]), "the lengths of evaluation " + what))
            longest = Math.Max(longest, BitConverter.ToInt64(length));
        if (longest == local.shape[1]) return local;
        var pad = new long[2 * (local.dim() - 1)];
        pad[^1] = longest - local.shape[1];
        return nn.functional.pad(local, pad, value: __Internals.PaddedConcatenation.PaddingIndex);
    }
}
