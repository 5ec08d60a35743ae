using Dsl.Data;
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
        ArgumentOutOfRangeException.ThrowIfNegative(seed);
        return LengthGroupedOrder.Group(NumpyPermutation.Of(lengths.Count, (ulong)seed), lengths, batchSize, megabatchMultiplier);
    }

    /// <summary>
    /// The dataset in length-grouped order for <paramref name="batchSize"/>. Use it where batches are
    /// taken in order (evaluation, prediction); for training set <see cref="TrainingArguments.GroupByLength"/>,
    /// which groups each epoch's own shuffled order.
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
