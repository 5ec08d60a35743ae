using System.ComponentModel;
using Dsl.Data;

namespace Dsl.__Internals;

/// <summary>
/// The batches of one evaluation, from a list (<see cref="BatchEnumerator{TBatch, TExample}"/>, a known number of
/// batches) or from a stream (<see cref="StreamBatchEnumerator{TBatch, TExample}"/>, read until it ends: HF's
/// evaluation of an <c>IterableDataset</c>). Called by generated code.
/// </summary>
/// <typeparam name="TBatch">The batch type.</typeparam>
/// <typeparam name="TExample">One example.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
[Obsolete(Contract.Message, DiagnosticId = Contract.DiagnosticId)]
public sealed class EvaluationBatches<TBatch, TExample> : IDisposable
    where TBatch : IBatch<TBatch, TExample>
{
    private readonly BatchEnumerator<TBatch, TExample>? _list;
    private readonly StreamBatchEnumerator<TBatch, TExample>? _stream;
    private readonly string? _whenEmpty;
    private bool _any;

    internal EvaluationBatches(BatchEnumerator<TBatch, TExample> list) => _list = list;

    /// <param name="stream">The stream's batches.</param>
    /// <param name="whenEmpty">The error when the stream yields no batch (a list's emptiness is known before it starts).</param>
    internal EvaluationBatches(StreamBatchEnumerator<TBatch, TExample> stream, string whenEmpty) => (_stream, _whenEmpty) = (stream, whenEmpty);

    /// <summary>The batch <see cref="MoveNext"/> took; its owner disposes it.</summary>
    public TBatch Current => _list is not null ? _list.Current : _stream!.Current;

    /// <summary>Examples in <see cref="Current"/>.</summary>
    public int CurrentSize => _list is not null ? _list.CurrentSize : _stream!.CurrentSize;

    /// <summary>Takes the next batch; false when the list or the stream has no more.</summary>
    /// <exception cref="ArgumentException">The stream yielded no batch at all.</exception>
    public bool MoveNext()
    {
        if (_list is not null) return _list.MoveNext();
        if (_stream!.MoveNext()) return _any = true;
        return _any ? false : throw new ArgumentException(_whenEmpty);
    }

    /// <summary>Stops the collation thread and frees the batches collated ahead.</summary>
    public void Dispose()
    {
        _list?.Dispose();
        _stream?.Dispose();
    }
}
