namespace Dsl.Text.Tokenization;

/// <summary>
/// One tokenised example: what HF's tokenizer returns (<c>input_ids</c>, <c>token_type_ids</c>,
/// <c>attention_mask</c>) and the example's label. <see cref="Data.TextBatch"/> collates these.
/// </summary>
/// <param name="InputIds">Token ids, with [CLS] and [SEP]; padding (if any) at the end.</param>
/// <param name="TokenTypeIds">0 for the first text (and its [CLS]/[SEP]), 1 for the second; same length as <paramref name="InputIds"/>.</param>
/// <param name="AttentionMask">1 for real tokens, 0 for padding; same length as <paramref name="InputIds"/>.</param>
/// <param name="Label">The class id, or null for unlabelled text.</param>
public sealed record EncodedText(int[] InputIds, int[] TokenTypeIds, int[] AttentionMask, int? Label = null) : Dsl.Data.IHasLength
{
    /// <summary>Tokens including padding.</summary>
    public int Count => InputIds.Length;

    /// <summary>Real (unpadded) tokens: the attention mask's ones.</summary>
    public int Length
    {
        get
        {
            int length = 0;
            foreach (int m in AttentionMask) length += m;
            return length;
        }
    }

    /// <summary>The same tokens with another label.</summary>
    public EncodedText WithLabel(int? label) => this with { Label = label };
}
