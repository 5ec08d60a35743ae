using Dsl.Text.Tokenization;

namespace Dsl.Text.Data;

/// <summary>
/// HF's <c>group_by_length</c> order (<c>get_length_grouped_indices</c>): a seeded random order cut
/// into megabatches of <c>batchSize × multiplier</c> examples, each sorted longest first, with the
/// longest example of all in the first batch (so an out-of-memory shows at once). Batches then hold
/// texts of similar length and need little padding. Reproducible: the same order on every machine.
/// </summary>
public static class LengthGrouping
{
    /// <summary>The order of the examples whose lengths are <paramref name="lengths"/>.</summary>
    /// <param name="lengths">Each example's length in tokens.</param>
    /// <param name="batchSize">The batch size the order is for.</param>
    /// <param name="seed">The seed of the random order (NumPy's PCG64, as <see cref="TextDataset{T}.Shuffle"/>).</param>
    /// <param name="megabatchMultiplier">Batches per megabatch; null: HF's min(n / (4 × batchSize), 50), at least 1.</param>
    public static int[] Order(IReadOnlyList<int> lengths, int batchSize, int seed = 42, int? megabatchMultiplier = null)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(seed);
        int n = lengths.Count;
        if (n == 0) return [];
        int multiplier = megabatchMultiplier ?? Math.Max(1, Math.Min(n / (batchSize * 4), 50));
        ArgumentOutOfRangeException.ThrowIfLessThan(multiplier, 1, nameof(megabatchMultiplier));
        int size = multiplier * batchSize;

        int[] permutation = NumpyPermutation.Of(n, (ulong)seed);
        var megabatches = new List<int[]>();
        for (int start = 0; start < n; start += size)
            // HF sorts each megabatch with Python's stable sort, longest first.
            megabatches.Add(permutation[start..Math.Min(n, start + size)].OrderByDescending(i => lengths[i]).ToArray());

        int longest = 0;
        for (int m = 1; m < megabatches.Count; m++)
            if (lengths[megabatches[m][0]] > lengths[megabatches[longest][0]]) longest = m;
        (megabatches[0][0], megabatches[longest][0]) = (megabatches[longest][0], megabatches[0][0]);

        var order = new int[n];
        int k = 0;
        foreach (var megabatch in megabatches)
            foreach (int i in megabatch) order[k++] = i;
        return order;
    }

    /// <summary>
    /// The dataset in length-grouped order for <paramref name="batchSize"/>. Use it where batches are
    /// taken in order (evaluation, prediction); the trainer's training loader reshuffles every epoch.
    /// </summary>
    public static TextDataset<EncodedText> GroupByLength(this TextDataset<EncodedText> dataset, int batchSize, int seed = 42,
        int? megabatchMultiplier = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var lengths = new int[dataset.Count];
        for (int i = 0; i < lengths.Length; i++) lengths[i] = dataset[i].Length;
        return dataset.Reorder(Order(lengths, batchSize, seed, megabatchMultiplier));
    }
}
