using TorchSharp;

namespace Dsl.Data;

/// <summary>
/// One pass over a streamed training dataset (an <see cref="IEnumerable{T}"/> with no length), cut into
/// batches and gradient-accumulation windows. A background thread reads the stream and collates ahead
/// into a small ring buffer, as <see cref="BatchEnumerator{TBatch, TExample}"/> does for lists. Like HF's
/// <c>get_batch_samples</c>, the batches of a window are taken before its first one trains, so the window's
/// real length (short at the end of the stream) is known when the loss is divided by it.
/// </summary>
/// <typeparam name="TBatch">The batch type.</typeparam>
/// <typeparam name="TExample">One example.</typeparam>
public sealed class StreamBatchEnumerator<TBatch, TExample> : IDisposable
    where TBatch : IBatch<TBatch, TExample>
{
    private readonly IEnumerable<TExample> _stream;
    private readonly int _batchSize, _window, _skipBatches;
    private readonly bool _dropLast;
    private readonly torch.Device _device;
    private readonly torch.ScalarType? _floatDType;

    // Ring buffer shared with the producer thread, guarded by _gate.
    private readonly object _gate = new();
    private readonly TBatch[] _ring;
    private readonly int[] _ringSizes;
    private int _head, _count;
    private bool _finished, _stopping;
    private Exception? _failure;
    private long _failedAt = -1;
    private readonly Thread? _producer;
    private IEnumerator<TExample>? _syncReader;   // prefetch 0: read on the training thread
    private TExample[]? _syncExamples;
    private bool _skipped;

    // The current window: taken whole before its first batch trains.
    private readonly TBatch[] _windowBatches;
    private readonly int[] _windowSizes;
    private int _windowCount, _windowNext;
    private bool _ended;

    /// <summary>Starts a pass over <paramref name="stream"/>, skipping its first <paramref name="skipBatches"/> batches unread by the model.</summary>
    /// <param name="stream">The examples; enumerated afresh for every pass.</param>
    /// <param name="batchSize">Examples per batch.</param>
    /// <param name="window">Batches per gradient-accumulation window.</param>
    /// <param name="dropLast">Drop a short last batch.</param>
    /// <param name="device">Where batches are collated.</param>
    /// <param name="prefetch">Batches collated ahead on a background thread; 0 reads and collates on the caller's thread.</param>
    /// <param name="skipBatches">Batches already trained on in this pass (resuming): their examples are read and dropped, never collated.</param>
    /// <param name="floatDType">When set, the dtype each batch's floating-point tensors are cast to (mixed precision).</param>
    /// <param name="role">What the stream is for, in error messages: <c>training</c> or <c>evaluation</c>.</param>
    public StreamBatchEnumerator(IEnumerable<TExample> stream, int batchSize, int window, bool dropLast, torch.Device device,
        int prefetch, int skipBatches = 0, torch.ScalarType? floatDType = null, string role = "training")
    {
        _role = role;
        ArgumentNullException.ThrowIfNull(stream);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        if (window < 1) throw new ArgumentOutOfRangeException(nameof(window), window, "The window must be at least 1 batch.");
        if (skipBatches < 0) throw new ArgumentOutOfRangeException(nameof(skipBatches), skipBatches, "Skip must be 0 or more.");
        _stream = stream;
        _batchSize = batchSize;
        _window = window;
        _dropLast = dropLast;
        _device = device;
        _floatDType = floatDType;
        _skipBatches = skipBatches;
        _windowBatches = new TBatch[window];
        _windowSizes = new int[window];
        _ring = new TBatch[Math.Max(1, prefetch)];
        _ringSizes = new int[_ring.Length];
        Index = skipBatches - 1;
        if (prefetch > 0)
        {
            _producer = new Thread(Produce) { IsBackground = true, Name = "Dsl collate (stream)" };
            _producer.Start();
        }
    }

    /// <summary>The batch <see cref="MoveNext"/> took. The caller disposes it.</summary>
    public TBatch Current { get; private set; } = default!;

    /// <summary>The index of <see cref="Current"/> within the pass, counting skipped batches.</summary>
    public int Index { get; private set; }

    /// <summary>Examples in <see cref="Current"/>.</summary>
    public int CurrentSize { get; private set; }

    /// <summary>Batches in the window <see cref="Current"/> belongs to: the accumulation steps, or fewer at the end of the stream.</summary>
    public int WindowSize => _windowCount;

    /// <summary><see cref="Current"/> is the first batch of its window.</summary>
    public bool StartsWindow => _windowNext == 1;

    /// <summary><see cref="Current"/> is the last batch of its window: time for an optimizer step.</summary>
    public bool EndsWindow => _windowNext == _windowCount;

    /// <summary>Batches skipped at the start of this pass (resuming).</summary>
    public int Skipped => _skipBatches;

    /// <summary>Takes the next batch; false when the stream is exhausted.</summary>
    public bool MoveNext()
    {
        if (_windowNext == _windowCount)
        {
            _windowCount = _windowNext = 0;
            while (!_ended && _windowCount < _window)
            {
                if (!TryTake(out var batch, out int size)) { _ended = true; break; }
                _windowBatches[_windowCount] = batch;
                _windowSizes[_windowCount++] = size;
            }
            if (_windowCount == 0) { Current = default!; return false; }
        }
        Current = _windowBatches[_windowNext];
        CurrentSize = _windowSizes[_windowNext];
        _windowBatches[_windowNext++] = default!;
        Index++;
        return true;
    }

    private bool TryTake(out TBatch batch, out int size)
    {
        if (_producer is null)
        {
            try
            {
                _syncReader ??= _stream.GetEnumerator();
                if (!_skipped) { _skipped = true; Skip(_syncReader); }
                return Read(_syncReader, _syncExamples ??= new TExample[_batchSize], out batch, out size);
            }
            catch (Exception e)
            {
                throw Failed(e, _read);
            }
        }
        lock (_gate)
        {
            while (_count == 0 && !_finished && _failure is null) Monitor.Wait(_gate);
            if (_count == 0)
            {
                if (_failure is not null) throw Failed(_failure, _failedAt);
                batch = default!;
                size = 0;
                return false;
            }
            batch = _ring[_head];
            size = _ringSizes[_head];
            _ring[_head] = default!;
            _head = (_head + 1) % _ring.Length;
            _count--;
            Monitor.PulseAll(_gate);
            return true;
        }
    }

    private readonly string _role;

    private InvalidOperationException Failed(Exception e, long example) =>
        new($"Reading or collating the {_role} stream failed at example {example} of this pass: {e.Message}", e);

    private long _read;   // examples read from the stream in this pass

    private void Skip(IEnumerator<TExample> reader)
    {
        // HF skip_first_batches: the examples of the batches already trained on are read and dropped.
        long toSkip = (long)_skipBatches * _batchSize;
        while (_read < toSkip && reader.MoveNext()) _read++;
    }

    private bool Read(IEnumerator<TExample> reader, TExample[] examples, out TBatch batch, out int size)
    {
        size = 0;
        while (size < _batchSize && reader.MoveNext())
        {
            examples[size++] = reader.Current;
            _read++;
        }
        if (size == 0 || (size < _batchSize && _dropLast))
        {
            batch = default!;
            return false;
        }
        batch = TBatch.Collate(new ReadOnlySpan<TExample>(examples, 0, size), _device);
        Array.Clear(examples, 0, size);
        if (_floatDType is { } dtype) batch = Precision.BatchCasting<TBatch>.Cast(batch, dtype);
        return true;
    }

    private void Produce()
    {
        var examples = new TExample[_batchSize];
        try
        {
            using var reader = _stream.GetEnumerator();
            Skip(reader);
            while (true)
            {
                lock (_gate) if (_stopping) return;
                if (!Read(reader, examples, out var batch, out int size)) break;
                lock (_gate)
                {
                    while (_count == _ring.Length && !_stopping) Monitor.Wait(_gate);
                    if (_stopping) { batch.Dispose(); return; }
                    _ring[(_head + _count) % _ring.Length] = batch;
                    _ringSizes[(_head + _count) % _ring.Length] = size;
                    _count++;
                    Monitor.PulseAll(_gate);
                }
            }
        }
        catch (Exception e)
        {
            lock (_gate) { _failure = e; _failedAt = _read; Monitor.PulseAll(_gate); }
            return;
        }
        lock (_gate) { _finished = true; Monitor.PulseAll(_gate); }
    }

    /// <summary>Stops the background thread; disposes batches collated but never taken.</summary>
    public void Dispose()
    {
        if (_producer is not null)
        {
            lock (_gate) { _stopping = true; Monitor.PulseAll(_gate); }
            _producer.Join();
            lock (_gate)
            {
                while (_count > 0)
                {
                    _ring[_head].Dispose();
                    _ring[_head] = default!;
                    _head = (_head + 1) % _ring.Length;
                    _count--;
                }
            }
        }
        _syncReader?.Dispose();
        for (int i = _windowNext; i < _windowCount; i++)
        {
            if (_windowBatches[i] is { } batch) batch.Dispose();
            _windowBatches[i] = default!;
        }
    }
}
