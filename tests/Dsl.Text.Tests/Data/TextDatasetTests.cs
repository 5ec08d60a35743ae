using Dsl.Text.Data;
using Dsl.Text.Tokenization;

namespace Dsl.Text.Tests.Data;

public class TextDatasetTests
{
    private static TextDataset<int> Numbers(int n) => new(Enumerable.Range(0, n));

    [Fact]
    public void Shuffle_draws_numpys_default_rng_permutation()
    {
        // np.random.default_rng(seed).permutation(n), computed with NumPy 1.24: what HF datasets' shuffle(seed) uses.
        Assert.Equal([5, 6, 0, 7, 3, 2, 4, 9, 1, 8], Numbers(10).Shuffle(42));
        Assert.Equal([2, 4, 3, 6, 5, 0, 1], Numbers(7).Shuffle(0));
        Assert.Equal([19923, 18453, 12236, 16941, 8218, 20850, 22290, 4237], Numbers(25000).Shuffle(42).Take(8));
        Assert.Equal([9, 5, 1, 2, 8, 3, 0, 10, 7, 4, 6, 11], NumpyPermutation.Of(12, (1UL << 40) + 5));
    }

    [Fact]
    public void Shuffle_is_deterministic_and_depends_on_the_seed()
    {
        var data = Numbers(1000);
        Assert.Equal(data.Shuffle(7), data.Shuffle(7));
        Assert.NotEqual(data.Shuffle(7), data.Shuffle(8));
        Assert.Equal(Enumerable.Range(0, 1000), data.Shuffle(7).Order());
        Assert.Equal(Enumerable.Range(0, 1000), data); // the original is unchanged
    }

    [Fact]
    public void Select_and_take_are_hfs_select_range_and_take()
    {
        var data = Numbers(10);
        Assert.Equal([2, 3, 4], data.Select(2..5));
        Assert.Equal([8, 9], data.Select(^2..));
        Assert.Equal([0, 1, 2], data.Take(3));
        Assert.Equal(10, data.Take(100).Count);
        Assert.Equal([9, 0], data.Select([9, 0]));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => data.Select(5..20));
        Assert.Contains("10 examples", e.Message);
        Assert.Equal([0, 2, 4, 6, 8], data.Filter(i => i % 2 == 0));
    }

    [Fact]
    public void Map_runs_in_parallel_and_keeps_the_order()
    {
        var data = Numbers(2000);
        int threads = 0;
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        var mapped = data.Map(i =>
        {
            seen[Environment.CurrentManagedThreadId] = true;
            if (i % 97 == 0) Thread.Sleep(1); // uneven work, so chunks finish out of order
            return i * 2;
        }, degreeOfParallelism: 4);
        threads = seen.Count;
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => i * 2), mapped);
        Assert.True(threads >= 1);
        Assert.Equal(data.Map(i => i * 2, degreeOfParallelism: 1), mapped);
    }

    [Fact]
    public void A_failing_map_names_the_first_failing_example()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Numbers(500).Map(i => i >= 300 ? throw new FormatException("bad " + i) : i));
        Assert.Equal("Map failed on example 300 of memory: bad 300", e.Message);
    }

    [Fact]
    public void Length_grouping_follows_hfs_megabatch_rule()
    {
        // Permutation for seed 42 is [5,6,0,7,3,2,4,9,1,8]; megabatches of 2 × 2 sorted longest first,
        // then the longest example (9) swapped to the front.
        int[] lengths = Enumerable.Range(1, 10).ToArray();
        Assert.Equal([9, 6, 5, 0, 7, 4, 3, 2, 8, 1], LengthGrouping.Order(lengths, batchSize: 2, seed: 42, megabatchMultiplier: 2));
    }

    [Fact]
    public void Length_grouping_reduces_padding_reproducibly()
    {
        var random = new Random(3);
        var examples = new TextDataset<EncodedText>(Enumerable.Range(0, 400).Select(_ =>
        {
            int n = random.Next(3, 120);
            return new EncodedText(new int[n], new int[n], Enumerable.Repeat(1, n).ToArray(), 0);
        }));
        var grouped = examples.GroupByLength(batchSize: 8, seed: 1);
        Assert.Equal(grouped.Select(e => e.Count), examples.GroupByLength(8, seed: 1).Select(e => e.Count));
        Assert.Equal(examples.Max(e => e.Count), grouped[0].Count);
        Assert.True(Padding(grouped) * 3 < Padding(examples), $"{Padding(grouped)} vs {Padding(examples)}");

        static long Padding(IReadOnlyList<EncodedText> data) =>
            data.Chunk(8).Sum(batch => batch.Length * (long)batch.Max(e => e.Count) - batch.Sum(e => e.Count));
    }
}
