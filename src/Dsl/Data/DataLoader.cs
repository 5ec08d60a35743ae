using TorchSharp;

namespace Dsl.Data;

/// <summary>
/// Batches a dataset for a batch type: a seeded shuffle that is the same on every run and machine,
/// optional drop-last, and collation of the next batches on a background thread while the current
/// one computes.
/// </summary>
/// <remarks>
/// The shuffle is <c>torch.randperm(n)</c> from a generator seeded with <c>seed + epoch</c>, the rule
/// of Hugging Face's (accelerate's) seedable sampler, so each epoch has its own fixed order and a
/// resumed run sees the same order as an uninterrupted one.
/// </remarks>
/// <typeparam name="TBatch">The batch type.</typeparam>
/// <typeparam name="TExample">One example.</typeparam>
public sealed class DataLoader<TBatch, TExample>
    where TBatch : IBatch<TBatch, TExample>
{
    private readonly IReadOnlyList<TExample> _dataset;

    /// <summary>Creates a loader.</summary>
    /// <param name="dataset">The examples; read by index, never copied.</param>
    /// <param name="batchSize">Examples per batch (at least 1).</param>
    /// <param name="shuffle">Shuffle every epoch with <paramref name="seed"/> + epoch.</param>
    /// <param name="dropLast">Drop the last batch when it is incomplete.</param>
    /// <param name="device">Where batches are collated; default CPU.</param>
    /// <param name="seed">The shuffle seed.</param>
    /// <param name="prefetch">Batches collated ahead on a background thread; 0 collates in <c>MoveNext</c>.</param>
    /// <param name="groupByLength">With <paramref name="shuffle"/>, group each epoch's order by example length
    /// (HF's <c>group_by_length</c>); the examples must implement <see cref="IHasLength"/>.</param>
    /// <param name="shard">In a data-parallel run, the batches of each epoch this rank takes; null takes all.</param>
    public DataLoader(IReadOnlyList<TExample> dataset, int batchSize, bool shuffle = false, bool dropLast = false,
        torch.Device? device = null, long seed = 42, int prefetch = 2, bool groupByLength = false,
        Distributed.DataShard? shard = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "Prefetch must be 0 or more.");
        _dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Device = device ?? torch.CPU;
        Seed = seed;
        Prefetch = prefetch;
        Shard = shard;
        _length = shard?.Length(dataset.Count, batchSize, dropLast) ?? dataset.Count;
        Count = dropLast && shard is null ? _length / batchSize : (_length + batchSize - 1) / batchSize;
        if (groupByLength) _lengths = Lengths(dataset);
    }

    private readonly int[]? _lengths;
    private readonly int _length;   // examples visited per epoch: the dataset's, or this rank's shard's

    private static int[] Lengths(IReadOnlyList<TExample> dataset)
    {
        var lengths = new int[dataset.Count];
        for (int i = 0; i < lengths.Length; i++)
            lengths[i] = dataset[i] is IHasLength sized ? sized.Length : throw new ArgumentException(
                $"Grouping by length needs examples that implement Dsl.Data.IHasLength, and {typeof(TExample).Name} does not.",
                "groupByLength");
        return lengths;
    }

    /// <summary>Batches per epoch.</summary>
    public int Count { get; }

    /// <summary>Examples in the dataset.</summary>
    public int DatasetSize => _dataset.Count;

    /// <summary>Examples per full batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch is shuffled.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether an incomplete last batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Where batches are collated.</summary>
    public torch.Device Device { get; }

    /// <summary>
    /// When set, the dtype each batch's floating-point tensors are cast to after collation (on the
    /// collation thread): mixed precision on a module with low-precision working weights.
    /// </summary>
    internal torch.ScalarType? FloatDType { get; set; }

    /// <summary>The shuffle seed.</summary>
    public long Seed { get; }

    /// <summary>The batches this rank takes in a data-parallel run; null when it takes all.</summary>
    public Distributed.DataShard? Shard { get; }

    /// <summary>Whether each epoch's order is grouped by example length.</summary>
    public bool GroupsByLength => _lengths is not null;

    /// <summary>Batches collated ahead.</summary>
    public int Prefetch { get; }

    /// <summary>Examples in batch <paramref name="index"/>.</summary>
    public int SizeOf(int index) => Math.Min(BatchSize, _length - index * BatchSize);

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the examples (this rank's part of it in a data-parallel run).</summary>
    public int[] Order(int epoch)
    {
        var order = FullOrder(epoch);
        return Shard is { } shard ? shard.Select(order, BatchSize, DropLast) : order;
    }

    private int[] FullOrder(int epoch)
    {
        int n = _dataset.Count;
        var order = new int[n];
        if (!Shuffle)
        {
            for (int i = 0; i < n; i++) order[i] = i;
            return order;
        }
        using var generator = new torch.Generator((ulong)(Seed + epoch));
        using var permutation = torch.randperm(n, dtype: torch.int64, generator: generator);
        var values = permutation.data<long>();
        for (int i = 0; i < n; i++) order[i] = (int)values[i];
        // HF's LengthGroupedSampler groups the epoch's own random permutation.
        return _lengths is null ? order : LengthGroupedOrder.Group(order, _lengths, BatchSize);
    }

    /// <summary>Iterates epoch <paramref name="epoch"/>, starting after <paramref name="skip"/> batches (for resuming).</summary>
    public BatchEnumerator<TBatch, TExample> Epoch(int epoch, int skip = 0)
    {
        if (skip < 0 || skip > Count) throw new ArgumentOutOfRangeException(nameof(skip), skip, $"Skip must be in [0, {Count}].");
        return new BatchEnumerator<TBatch, TExample>(this, _dataset, Order(epoch), epoch, skip);
    }

    /// <summary>Iterates the first epoch's batches.</summary>
    public BatchEnumerator<TBatch, TExample> GetEnumerator() => Epoch(0);
}
