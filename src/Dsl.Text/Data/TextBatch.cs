using Dsl.Data;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Data;

/// <summary>
/// A batch of tokenised texts: <see cref="InputIds"/>, <see cref="AttentionMask"/> and
/// <see cref="TokenTypeIds"/> [batch, seq] and <see cref="Labels"/> [batch], all int64. Rows are
/// padded at the end to the longest row of the batch (HF's <c>DataCollatorWithPadding</c>); texts
/// the tokenizer already padded to a fixed length stay at that length.
/// </summary>
public sealed class TextBatch : IBatch<TextBatch, EncodedText>, ITokenBatch
{
    private TextBatch(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds, Tensor? labels)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
        Labels = labels;
    }

    /// <summary>Token ids, [batch, seq], int64; padding holds the pad token id.</summary>
    public Tensor InputIds { get; }

    /// <summary>1 for real tokens, 0 for padding, [batch, seq], int64.</summary>
    public Tensor AttentionMask { get; }

    /// <summary>Segment ids, [batch, seq], int64; padding holds 0.</summary>
    public Tensor TokenTypeIds { get; }

    /// <summary>Class ids, [batch], int64; null when no example has a label.</summary>
    public Tensor? Labels { get; }

    /// <summary>Examples in the batch.</summary>
    public long Size => InputIds.shape[0];

    /// <summary>Padded sequence length.</summary>
    public long SequenceLength => InputIds.shape[1];

    /// <summary>The token ids in the batch, padding included (HF counts <c>input_ids.numel()</c> for <c>total_flos</c> and <c>num_input_tokens_seen</c>).</summary>
    public long InputTokens => InputIds.numel();

    /// <summary>Pads to the longest example; the pad token id is 0 (BERT's [PAD]).</summary>
    public static TextBatch Collate(ReadOnlySpan<EncodedText> examples, Device device) =>
        Collate(examples, device, padToLength: null, padTokenId: 0);

    /// <summary>
    /// Pads to <paramref name="padToLength"/> (null: the longest example) with <paramref name="padTokenId"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The batch is empty, an example is longer than
    /// <paramref name="padToLength"/>, its arrays differ in length, or some examples have labels and others not.</exception>
    public static TextBatch Collate(ReadOnlySpan<EncodedText> examples, Device device, int? padToLength, int padTokenId = 0)
    {
        if (examples.IsEmpty) throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        int longest = 0, labelled = 0;
        for (int i = 0; i < examples.Length; i++)
        {
            var e = examples[i];
            if (e.TokenTypeIds.Length != e.Count || e.AttentionMask.Length != e.Count)
                throw new ArgumentException(
                    $"Example {i} of the batch has {e.Count} input ids, {e.TokenTypeIds.Length} token type ids and {e.AttentionMask.Length} mask values; they must be equal.",
                    nameof(examples));
            longest = Math.Max(longest, e.Count);
            if (e.Label is not null) labelled++;
        }
        if (labelled != 0 && labelled != examples.Length)
            throw new ArgumentException($"{labelled} of the batch's {examples.Length} examples have labels; all or none must.", nameof(examples));
        int length = padToLength ?? longest;
        if (longest > length)
            throw new ArgumentException($"An example has {longest} tokens, more than the padded length {length}; truncate when tokenising.", nameof(examples));

        int n = examples.Length;
        var ids = new long[n * length];
        var mask = new long[n * length];
        var types = new long[n * length];
        long[]? labels = labelled == 0 ? null : new long[n];
        if (padTokenId != 0) Array.Fill(ids, padTokenId);
        for (int i = 0; i < n; i++)
        {
            var e = examples[i];
            int row = i * length;
            for (int t = 0; t < e.Count; t++)
            {
                ids[row + t] = e.InputIds[t];
                mask[row + t] = e.AttentionMask[t];
                types[row + t] = e.TokenTypeIds[t];
            }
            if (labels is not null) labels[i] = e.Label!.Value;
        }

        long[] shape = [n, length];
        Tensor? idsT = null, maskT = null, typesT = null, labelsT = null;
        try
        {
            // Collation copies into libtorch's aligned memory and moves to the device.
            idsT = Collation.Int64(ids, shape, device);
            maskT = Collation.Int64(mask, shape, device);
            typesT = Collation.Int64(types, shape, device);
            labelsT = labels is null ? null : Collation.Int64(labels, [n], device);
            return new TextBatch(idsT, maskT, typesT, labelsT);
        }
        catch
        {
            idsT?.Dispose();
            maskT?.Dispose();
            typesT?.Dispose();
            labelsT?.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the batch's tensors.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds.Dispose();
        Labels?.Dispose();
    }
}
