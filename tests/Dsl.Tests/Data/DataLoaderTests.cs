using Dsl.Data;
using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Data;

[Collection(TorchState.Name)]
public sealed class DataLoaderTests
{
    private static List<Sample> Numbered(int count) =>
        Enumerable.Range(0, count).Select(i => new Sample([i, 0, 0, 0], i % 2)).ToList();

    private static List<int[]> Epoch(DataLoader<SampleBatch, Sample> loader, int epoch, int skip = 0)
    {
        var result = new List<int[]>();
        using var batches = loader.Epoch(epoch, skip);
        while (batches.MoveNext())
        {
            using var batch = batches.Current;
            Assert.Equal(batch.Count, batches.CurrentSize);
            result.Add(batch.X.select(1, 0).data<float>().ToArray().Select(f => (int)f).ToArray());
        }
        return result;
    }

    [Fact]
    public void Shuffle_is_torch_randperm_seeded_with_seed_plus_epoch()
    {
        var loader = new DataLoader<SampleBatch, Sample>(Numbered(10), batchSize: 10, shuffle: true, seed: 42);
        using var generator = new torch.Generator(43);
        using var expected = torch.randperm(10, dtype: ScalarType.Int64, generator: generator);
        Assert.Equal(expected.data<long>().ToArray().Select(i => (int)i), Epoch(loader, 1)[0]);
    }

    [Fact]
    public void Shuffle_is_the_same_on_every_run_and_differs_between_epochs()
    {
        var a = new DataLoader<SampleBatch, Sample>(Numbered(50), 8, shuffle: true, seed: 3);
        var b = new DataLoader<SampleBatch, Sample>(Numbered(50), 8, shuffle: true, seed: 3);
        Assert.Equal(Epoch(a, 0), Epoch(b, 0));
        Assert.NotEqual(Epoch(a, 0), Epoch(a, 1));
        Assert.Equal(Enumerable.Range(0, 50), Epoch(a, 1).SelectMany(x => x).Order());
    }

    [Fact]
    public void Without_shuffle_batches_keep_the_dataset_order_and_the_last_is_short()
    {
        var loader = new DataLoader<SampleBatch, Sample>(Numbered(10), 4);
        Assert.Equal(3, loader.Count);
        Assert.Equal([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]], Epoch(loader, 0));
    }

    [Fact]
    public void Drop_last_drops_the_incomplete_batch()
    {
        var loader = new DataLoader<SampleBatch, Sample>(Numbered(10), 4, dropLast: true);
        Assert.Equal(2, loader.Count);
        Assert.Equal([[0, 1, 2, 3], [4, 5, 6, 7]], Epoch(loader, 0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Prefetching_gives_the_same_batches_as_collating_in_place(int prefetch)
    {
        var inPlace = new DataLoader<SampleBatch, Sample>(Numbered(37), 5, shuffle: true, seed: 1, prefetch: 0);
        var ahead = new DataLoader<SampleBatch, Sample>(Numbered(37), 5, shuffle: true, seed: 1, prefetch: prefetch);
        Assert.Equal(Epoch(inPlace, 2), Epoch(ahead, 2));
        Assert.Equal(Epoch(inPlace, 2).Skip(3), Epoch(ahead, 2, skip: 3));
    }

    [Fact]
    public void A_failing_collate_names_the_batch_and_epoch()
    {
        var loader = new DataLoader<FailingBatch, int>(Enumerable.Range(0, 20).ToList(), 4, prefetch: 2);
        using var batches = loader.Epoch(5);
        Assert.True(batches.MoveNext());
        batches.Current.Dispose();
        var e = Assert.Throws<InvalidOperationException>(() => { while (batches.MoveNext()) batches.Current.Dispose(); });
        Assert.Equal("Collating batch 2 of epoch 5 with FailingBatch.Collate failed: example 9 is bad", e.Message);
    }

    [Fact]
    public void Stopping_early_disposes_the_batches_collated_ahead()
    {
        using var own = OwnTensors.Start();   // this test's tensors only, on its thread and the producer's
        var loader = new DataLoader<SampleBatch, Sample>(Numbered(100), 4, prefetch: 3);
        using (var batches = loader.Epoch(0))
        {
            Assert.True(batches.MoveNext());
            batches.Current.Dispose();
            Thread.Sleep(50);   // let the producer fill its buffer
        }
        Assert.True(own.Live == 0, $"{own.Live} tensors left ({own.ByThread()})");
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<SampleBatch, Sample>(Numbered(4), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<SampleBatch, Sample>(Numbered(4), 2, prefetch: -1));
        var loader = new DataLoader<SampleBatch, Sample>(Numbered(4), 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.Epoch(0, skip: 3));
    }

    private sealed class FailingBatch : Dsl.IBatch<FailingBatch, int>
    {
        public static FailingBatch Collate(ReadOnlySpan<int> examples, Device device)
        {
            foreach (int e in examples)
                if (e == 9) throw new FormatException("example 9 is bad");
            return new FailingBatch();
        }

        public void Dispose() { }
    }

    private sealed record Sized(int Length) : IHasLength;

    private sealed class SizedBatch : Dsl.IBatch<SizedBatch, Sized>
    {
        public required int[] Lengths { get; init; }
        public static SizedBatch Collate(ReadOnlySpan<Sized> examples, Device device) =>
            new() { Lengths = examples.ToArray().Select(e => e.Length).ToArray() };
        public void Dispose() { }
    }

    [Fact]
    public void Grouping_by_length_follows_HFs_megabatch_rule()
    {
        // 8 examples, batch 2, multiplier 2: megabatches [3,0,6,1] and [7,2,5,4] sort longest first to [1,3,0,6] and
        // [7,5,2,4]; then the longest head of all (7, length 10) swaps places with the first head (1).
        int[] permutation = [3, 0, 6, 1, 7, 2, 5, 4];
        int[] lengths = [5, 9, 2, 7, 1, 8, 3, 10];
        Assert.Equal([7, 3, 0, 6, 1, 5, 2, 4], LengthGroupedOrder.Group(permutation, lengths, batchSize: 2, megabatchMultiplier: 2));
    }

    [Fact]
    public void A_length_grouped_loader_groups_each_epochs_own_shuffle()
    {
        var lengths = Enumerable.Range(0, 64).Select(i => (i * 37) % 50 + 1).ToArray();
        var data = lengths.Select(l => new Sized(l)).ToList();
        var loader = new DataLoader<SizedBatch, Sized>(data, 4, shuffle: true, seed: 9, groupByLength: true);
        var plain = new DataLoader<SizedBatch, Sized>(data, 4, shuffle: true, seed: 9);
        Assert.True(loader.GroupsByLength);
        var expected = LengthGroupedOrder.Group(plain.Order(1), lengths, 4);
        Assert.Equal(expected, loader.Order(1));
        Assert.Equal(lengths.Max(), lengths[loader.Order(1)[0]]);

        // Padding waste: the grouped batches' length spread is far below the shuffled batches'.
        static int Spread(DataLoader<SizedBatch, Sized> l)
        {
            int total = 0;
            using var batches = l.Epoch(1);
            while (batches.MoveNext()) total += batches.Current.Lengths.Max() - batches.Current.Lengths.Min();
            return total;
        }
        Assert.True(Spread(loader) * 3 < Spread(plain), $"{Spread(loader)} vs {Spread(plain)}");
    }

    [Fact]
    public void Grouping_by_length_needs_examples_that_know_their_length()
    {
        var e = Assert.Throws<ArgumentException>(() => new DataLoader<SampleBatch, Sample>(Numbered(4), 2, shuffle: true, groupByLength: true));
        Assert.StartsWith("Grouping by length needs examples that implement Dsl.Data.IHasLength, and Sample does not.", e.Message);
    }

    [Fact]
    public void Collation_copies_values_into_the_requested_shape()
    {
        using var t = Collation.Float32([1f, 2f, 3f, 4f, 5f, 6f], [2, 3]);
        Assert.Equal(new long[] { 2, 3 }, t.shape);
        Assert.Equal(6f, t[1, 2].item<float>());
        using var ids = Collation.Int64([7, 8], [2]);
        Assert.Equal(ScalarType.Int64, ids.dtype);
        var e = Assert.Throws<ArgumentException>(() => Collation.Int32([1, 2, 3], [2, 2]));
        Assert.StartsWith("3 values do not fill a tensor of shape [2, 2] (4 values).", e.Message);
    }
}
