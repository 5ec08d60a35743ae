using System.Collections;
using System.Collections.Concurrent;

namespace Dsl.Text.Data;

/// <summary>
/// An immutable, indexable dataset with HF datasets' verbs: <see cref="Shuffle"/>,
/// <see cref="Select(Range)"/>, <see cref="Take"/> and <see cref="Map{TOut}"/>. It is an
/// <see cref="IReadOnlyList{T}"/>, so it plugs into a generated trainer's <c>Train</c> and <c>Evaluate</c>.
/// </summary>
/// <typeparam name="T">One example, e.g. <see cref="TextExample"/> or a tokenised <see cref="Tokenization.EncodedText"/>.</typeparam>
public sealed class TextDataset<T> : IReadOnlyList<T>
{
    private readonly T[] _items;

    /// <summary>A dataset of <paramref name="items"/> (copied), read from <paramref name="source"/>.</summary>
    public TextDataset(IEnumerable<T> items, string source = "memory")
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = items.ToArray();
        Source = source;
    }

    private TextDataset(T[] items, string source, bool _)
    {
        _items = items;
        Source = source;
    }

    /// <summary>Where the examples came from (a file or folder), for messages.</summary>
    public string Source { get; }

    /// <inheritdoc/>
    public int Count => _items.Length;

    /// <inheritdoc/>
    public T this[int index] => _items[index];

    /// <summary>
    /// The examples in a random order fixed by <paramref name="seed"/>: the same on every machine and
    /// run, and the same order as HF datasets' <c>shuffle(seed=...)</c> (NumPy's PCG64 permutation).
    /// </summary>
    public TextDataset<T> Shuffle(int seed = 42)
    {
        if (seed < 0) throw new ArgumentOutOfRangeException(nameof(seed), seed, "The seed must be 0 or more (NumPy's rule).");
        return Reorder(NumpyPermutation.Of(_items.Length, (ulong)seed));
    }

    /// <summary>The examples in <paramref name="range"/>, HF's <c>select(range(a, b))</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the dataset.</exception>
    public TextDataset<T> Select(Range range)
    {
        int start, length;
        try
        {
            (start, length) = range.GetOffsetAndLength(_items.Length);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new ArgumentOutOfRangeException(nameof(range), $"The range {range} is outside the dataset of {_items.Length} examples from {Source}.");
        }
        return new TextDataset<T>(_items[start..(start + length)], Source, true);
    }

    /// <summary>The examples at <paramref name="indices"/>, in that order (HF's <c>select(indices)</c>).</summary>
    public TextDataset<T> Select(IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return Reorder(indices.ToArray());
    }

    /// <summary>The first <paramref name="count"/> examples (all of them when there are fewer), HF's <c>take(n)</c>.</summary>
    public TextDataset<T> Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Select(..Math.Min(count, _items.Length));
    }

    /// <summary>
    /// Applies <paramref name="map"/> to every example, in parallel, keeping the order (HF's
    /// <c>map</c>, e.g. tokenisation). <paramref name="degreeOfParallelism"/>: threads to use
    /// (null: all cores; 1: on this thread).
    /// </summary>
    /// <exception cref="InvalidOperationException">The function failed on an example; the message names its index.</exception>
    public TextDataset<TOut> Map<TOut>(Func<T, TOut> map, int? degreeOfParallelism = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        var results = new TOut[_items.Length];
        int threads = degreeOfParallelism ?? Environment.ProcessorCount;
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(degreeOfParallelism), threads, "Use 1 thread or more.");
        int failedAt = int.MaxValue;
        Exception? failure = null;
        var gate = new object();
        void Apply(int i)
        {
            try
            {
                results[i] = map(_items[i]);
            }
            catch (Exception e)
            {
                // Keep the failure with the lowest index, so the message does not depend on thread timing.
                lock (gate)
                    if (i < failedAt) (failedAt, failure) = (i, e);
            }
        }
        if (threads == 1 || _items.Length < 2)
            for (int i = 0; i < _items.Length && failure is null; i++) Apply(i);
        else
        {
            // Chunks of examples per task: little scheduling overhead; results land by index, so order is kept.
            int chunk = Math.Clamp(_items.Length / (threads * 8), 1, 256);
            Parallel.ForEach(Partitioner.Create(0, _items.Length, chunk), new ParallelOptions { MaxDegreeOfParallelism = threads },
                range => { for (int i = range.Item1; i < range.Item2; i++) Apply(i); });
        }
        if (failure is not null)
            throw new InvalidOperationException($"Map failed on example {failedAt} of {Source}: {failure.Message}", failure);
        return new TextDataset<TOut>(results, Source, true);
    }

    /// <summary>The examples for which <paramref name="predicate"/> holds, HF's <c>filter</c>.</summary>
    public TextDataset<T> Filter(Func<T, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return new TextDataset<T>(_items.Where(predicate).ToArray(), Source, true);
    }

    internal TextDataset<T> Reorder(int[] order)
    {
        var items = new T[order.Length];
        for (int i = 0; i < order.Length; i++)
        {
            if ((uint)order[i] >= (uint)_items.Length)
                throw new ArgumentOutOfRangeException(nameof(order), $"Index {order[i]} is outside the dataset of {_items.Length} examples from {Source}.");
            items[i] = _items[order[i]];
        }
        return new TextDataset<T>(items, Source, true);
    }

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
}
