using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Dsl.Text.Tokenization;

/// <summary>
/// HF's BERT normalisation (<c>BertNormalizer</c>; the slow tokenizer's <c>BasicTokenizer</c>):
/// drop NUL, U+FFFD and control characters, turn every whitespace (tab, NBSP, ...) into a space, put
/// spaces around CJK ideographs, lower-case, and strip accents (NFD, then drop non-spacing marks).
/// </summary>
/// <remarks>
/// Written here because Microsoft.ML.Tokenizers 2.0.1's own BERT basic tokenization differs from
/// HF's on real text: it drops ASCII symbols such as <c>$ &lt; &gt; = + ^ ` | ~</c> (IMDb's
/// <c>&lt;br /&gt;</c> loses its brackets) and does not treat tabs or NBSP as spaces. Its
/// WordPiece step is used as is.
/// </remarks>
internal sealed class HfBertNormalizer(bool lowerCase, bool stripAccents, bool tokenizeChineseChars) : Normalizer
{
    public override string Normalize(string original) => Normalize(original.AsSpan());

    public override string Normalize(ReadOnlySpan<char> original)
    {
        var text = new StringBuilder(original.Length + 8);
        for (int i = 0; i < original.Length;)
        {
            // A lone surrogate decodes as U+FFFD and is dropped with it.
            System.Text.Rune.DecodeFromUtf16(original[i..], out var rune, out int width);
            int cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || BertCharacters.IsControl(rune)) { }
            else if (BertCharacters.IsWhitespace(rune)) text.Append(' ');
            else if (tokenizeChineseChars && BertCharacters.IsCjk(cp)) text.Append(' ').Append(original.Slice(i, width)).Append(' ');
            else text.Append(original.Slice(i, width));
            i += width;
        }
        string result = text.ToString();
        if (lowerCase) result = result.ToLowerInvariant();
        if (stripAccents && !System.Text.Ascii.IsValid(result))
        {
            string decomposed = result.Normalize(NormalizationForm.FormD);
            var kept = new StringBuilder(decomposed.Length);
            foreach (char c in decomposed)
                if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) kept.Append(c);
            result = kept.ToString();
        }
        return result;
    }
}

/// <summary>
/// HF's <c>BertPreTokenizer</c>: split on whitespace, and make every punctuation character a word
/// of its own (HF counts all ASCII non-alphanumerics as punctuation, <c>$</c> and <c>&lt;</c> included).
/// </summary>
internal sealed class HfBertPreTokenizer : PreTokenizer
{
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => PreTokenize(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text)
    {
        var words = new List<(int, int)>();
        int start = -1, i = 0;
        while (i < text.Length)
        {
            System.Text.Rune.DecodeFromUtf16(text[i..], out var rune, out int width);
            if (BertCharacters.IsWhitespace(rune) || BertCharacters.IsPunctuation(rune))
            {
                if (start >= 0) words.Add((start, i - start));
                start = -1;
                if (!BertCharacters.IsWhitespace(rune)) words.Add((i, width));
            }
            else if (start < 0) start = i;
            i += width;
        }
        if (start >= 0) words.Add((start, text.Length - start));
        return words;
    }
}

/// <summary>HF's character classes for BERT (<c>_is_whitespace</c>, <c>_is_control</c>, <c>_is_punctuation</c>, <c>_is_chinese_char</c>).</summary>
internal static class BertCharacters
{
    public static bool IsWhitespace(System.Text.Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || System.Text.Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    public static bool IsControl(System.Text.Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r') return false;
        return System.Text.Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    public static bool IsPunctuation(System.Text.Rune r)
    {
        int cp = r.Value;
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return System.Text.Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    // The CJK Unified Ideographs blocks, as HF's _is_chinese_char lists them.
    public static bool IsCjk(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
