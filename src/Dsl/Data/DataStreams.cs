namespace Dsl.Data;

/// <summary>Adapters for streamed training data.</summary>
public static class DataStreams
{
    /// <summary>
    /// An <see cref="IAsyncEnumerable{T}"/> as the <see cref="IEnumerable{T}"/> that <c>Train</c> streams from.
    /// The loop reads the stream on its background collation thread, so waiting for the next item there
    /// never holds up the step being computed. Each pass enumerates <paramref name="source"/> again.
    /// </summary>
    public static IEnumerable<T> FromAsync<T>(IAsyncEnumerable<T> source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Read(source, cancellationToken);
    }

    private static IEnumerable<T> Read<T>(IAsyncEnumerable<T> source, CancellationToken cancellationToken)
    {
        var reader = source.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (reader.MoveNextAsync().AsTask().GetAwaiter().GetResult()) yield return reader.Current;
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
