using TorchSharp;

namespace Dsl.Data;

/// <summary>
/// One pass over a <see cref="DataLoader{TBatch, TExample}"/>'s batches. With prefetch, a background
/// thread collates ahead into a small ring buffer; <see cref="MoveNext"/> takes the next batch
/// without allocating. The caller owns (and disposes) <see cref="Current"/>; disposing the
/// enumerator stops the thread and disposes batches collated but never taken.
/// </summary>
/// <typeparam name="TBatch">The batch type.</typeparam>
/// <typeparam name="TExample">One example.</typeparam>
public sealed class BatchEnumerator<TBatch, TExample> : IDisposable
    where TBatch : IBatch<TBatch, TExample>
{
    private readonly DataLoader<TBatch, TExample> _loader;
    private readonly IReadOnlyList<TExample> _dataset;
    private readonly int[] _order;
    private readonly int _epoch;
    private readonly TExample[] _examples;

    // Ring buffer shared with the producer thread, guarded by _gate.
    private readonly object _gate = new();
    private readonly TBatch[]? _ring;
    private int _head, _count, _produced;
    private Exception? _failure;
    private int _failedBatch = -1;
    private bool _stopping;
    private readonly Thread? _producer;

    private int _next;
    private TBatch _current = default!;
    private bool _hasCurrent;

    internal BatchEnumerator(DataLoader<TBatch, TExample> loader, IReadOnlyList<TExample> dataset, int[] order, int epoch, int skip)
    {
        _loader = loader;
        _dataset = dataset;
        _order = order;
        _epoch = epoch;
        _examples = new TExample[loader.BatchSize];
        _next = skip;
        Index = skip - 1;
        if (loader.Prefetch > 0 && skip < loader.Count)
        {
            _ring = new TBatch[loader.Prefetch];
            _produced = skip;
            _producer = new Thread(Produce) { IsBackground = true, Name = $"Dsl collate (epoch {epoch})" };
            _producer.Start();
        }
    }

    /// <summary>The batch <see cref="MoveNext"/> took. The caller disposes it.</summary>
    public TBatch Current => _hasCurrent ? _current : throw new InvalidOperationException("Call MoveNext first, and only while it returns true.");

    /// <summary>The index of <see cref="Current"/> within the epoch.</summary>
    public int Index { get; private set; }

    /// <summary>Batches in the epoch, including skipped ones.</summary>
    public int Count => _loader.Count;

    /// <summary>Examples in <see cref="Current"/>.</summary>
    public int CurrentSize => _loader.SizeOf(Index);

    /// <summary>Takes the next batch; false at the end of the epoch.</summary>
    public bool MoveNext()
    {
        if (_next >= _loader.Count) { _current = default!; _hasCurrent = false; return false; }
        Index = _next++;
        _current = _ring is null ? Collate(Index) : Take();
        _hasCurrent = true;
        return true;
    }

    private TBatch Take()
    {
        lock (_gate)
        {
            while (_count == 0 && _failure is null) Monitor.Wait(_gate);
            if (_count == 0 && _failure is not null)
                throw new InvalidOperationException(
                    $"Collating batch {_failedBatch} of epoch {_epoch} with {typeof(TBatch).Name}.Collate failed: {_failure.Message}", _failure);
            var batch = _ring![_head];
            _ring[_head] = default!;
            _head = (_head + 1) % _ring.Length;
            _count--;
            Monitor.PulseAll(_gate);
            return batch;
        }
    }

    private void Produce()
    {
        var examples = new TExample[_loader.BatchSize];
        for (int index = _produced; index < _loader.Count; index++)
        {
            TBatch batch;
            try
            {
                batch = CollateInto(index, examples);
            }
            catch (Exception e)
            {
                lock (_gate) { _failure = e; _failedBatch = index; Monitor.PulseAll(_gate); }
                return;
            }
            lock (_gate)
            {
                while (_count == _ring!.Length && !_stopping) Monitor.Wait(_gate);
                if (_stopping) { batch.Dispose(); return; }
                _ring[(_head + _count) % _ring.Length] = batch;
                _count++;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private TBatch Collate(int index) => CollateInto(index, _examples);

    private TBatch CollateInto(int index, TExample[] examples)
    {
        int start = index * _loader.BatchSize;
        int size = _loader.SizeOf(index);
        for (int i = 0; i < size; i++) examples[i] = _dataset[_order[start + i]];
        var batch = TBatch.Collate(new ReadOnlySpan<TExample>(examples, 0, size), _loader.Device);
        Array.Clear(examples, 0, size);
        return _loader.FloatDType is { } dtype ? Precision.BatchCasting<TBatch>.Cast(batch, dtype) : batch;
    }

    /// <summary>Stops the background thread and disposes batches collated but never taken.</summary>
    public void Dispose()
    {
        if (_producer is null) return;
        lock (_gate) { _stopping = true; Monitor.PulseAll(_gate); }
        _producer.Join();
        lock (_gate)
        {
            while (_count > 0)
            {
                _ring![_head].Dispose();
                _ring[_head] = default!;
                _head = (_head + 1) % _ring.Length;
                _count--;
            }
        }
    }
}
