namespace Dsl.Data;

/// <summary>An example that knows its length (e.g. its token count), for <see cref="TrainingArguments.GroupByLength"/>.</summary>
public interface IHasLength
{
    /// <summary>The example's length; batches of similar lengths pad less.</summary>
    int Length { get; }
}

/// <summary>
/// Hugging Face's <c>get_length_grouped_indices</c> (used by <c>group_by_length</c>): cut a random
/// permutation into megabatches of <c>multiplier × batch size</c>, sort each megabatch longest first, and
/// move the longest example of all to the very first batch so an out-of-memory error shows at once.
/// Batches then hold examples of similar length and waste little on padding.
/// </summary>
public static class LengthGroupedOrder
{
    /// <summary>HF's default multiplier: min(n / (4 × batch size), 50), at least 1.</summary>
    public static int DefaultMultiplier(int count, int batchSize) => Math.Max(1, Math.Min(count / (batchSize * 4), 50));

    /// <summary>Groups <paramref name="permutation"/> (a random order of the examples) by <paramref name="lengths"/>.</summary>
    public static int[] Group(int[] permutation, IReadOnlyList<int> lengths, int batchSize, int? megabatchMultiplier = null)
    {
        ArgumentNullException.ThrowIfNull(permutation);
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int n = permutation.Length;
        if (n == 0) return [];
        int multiplier = megabatchMultiplier ?? DefaultMultiplier(n, batchSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(multiplier, 1, nameof(megabatchMultiplier));
        int size = multiplier * batchSize;

        var megabatches = new List<int[]>();
        for (int start = 0; start < n; start += size)
            // HF sorts each megabatch with Python's stable sort, longest first (OrderByDescending is stable too).
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
}
