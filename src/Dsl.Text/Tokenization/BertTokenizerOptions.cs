namespace Dsl.Text.Tokenization;

/// <summary>How <see cref="BertTokenizer.Encode(string, string?, int?)"/> pads.</summary>
public enum Padding
{
    /// <summary>No padding here; <see cref="Data.TextBatch"/> pads each batch to its longest row (HF's <c>padding='longest'</c> at collation).</summary>
    None,

    /// <summary>Pad every example to <see cref="BertTokenizerOptions.MaxLength"/> (HF's <c>padding='max_length'</c>).</summary>
    MaxLength,
}

/// <summary>
/// Options of <see cref="BertTokenizer"/>, after HF's <c>BertTokenizerFast</c> and its call arguments.
/// </summary>
public sealed record BertTokenizerOptions
{
    /// <summary>HF's <c>do_lower_case</c>. Null: true when the vocabulary has no upper-case token (an uncased vocabulary).</summary>
    public bool? LowerCase { get; init; }

    /// <summary>HF's <c>strip_accents</c>. Null: same as lower-casing, as HF does.</summary>
    public bool? StripAccents { get; init; }

    /// <summary>HF's <c>tokenize_chinese_chars</c>: put spaces around CJK ideographs.</summary>
    public bool TokenizeChineseChars { get; init; } = true;

    /// <summary>HF's <c>max_length</c>: the longest encoding, special tokens included.</summary>
    public int MaxLength { get; init; } = 512;

    /// <summary>HF's <c>truncation=True</c> (longest first for pairs). False: longer texts throw.</summary>
    public bool Truncation { get; init; } = true;

    /// <summary>
    /// Head-and-tail truncation (Sun et al. 2019, "How to Fine-Tune BERT for Text Classification?", best for
    /// long IMDb reviews): a single text longer than <see cref="MaxLength"/> keeps its first
    /// <c>HeadTokens</c> tokens and its last <c>MaxLength − 2 − HeadTokens</c>, so the verdict a review ends on
    /// survives. Null (the default): HF's truncation, which keeps the head. Sun et al. keep 128 and 382 at 512.
    /// Not for pairs.
    /// </summary>
    public int? HeadTokens { get; init; }

    /// <summary>HF's <c>padding</c>.</summary>
    public Padding Padding { get; init; } = Padding.None;
}
