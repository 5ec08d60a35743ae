using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Bert;

/// <summary>
/// The small batch an export is checked on: three rows of different lengths, so padding and the
/// attention mask are exercised, every token type the model has, and ids across the vocabulary.
/// Drawn from its own seeded generator, never torch's, so exporting does not change a seeded run.
/// </summary>
internal sealed record BertProbe(Tensor InputIds, Tensor AttentionMask, Tensor TokenTypeIds, IReadOnlyList<string> Texts)
{
    /// <summary>Texts for a graph that tokenises: words, punctuation, an accent, upper case, a number.</summary>
    public static readonly string[] ProbeTexts =
    [
        "A gripping film, with a superb cast.",
        "Not bad at all... I'd watch it again!",
        "The plot was dull, the dialogue clumsy and the ending predictable: 2/10.",
    ];

    /// <summary>Random ids for a graph that takes ids.</summary>
    public static BertProbe Ids(BertConfig config)
    {
        var random = new Random(1234);
        int length = Math.Min(9, config.MaxPositionEmbeddings);
        int[] lengths = [length, Math.Max(1, length - 4), 1];
        var ids = new long[lengths.Length * length];
        var mask = new long[ids.Length];
        var types = new long[ids.Length];
        for (int row = 0; row < lengths.Length; row++)
            for (int i = 0; i < lengths[row]; i++)
            {
                int at = row * length + i;
                ids[at] = random.Next(config.VocabSize);
                mask[at] = 1;
                types[at] = (i + row) % config.TypeVocabSize;
            }
        long[] shape = [lengths.Length, length];
        return new BertProbe(torch.tensor(ids, shape), torch.tensor(mask, shape), torch.tensor(types, shape), []);
    }

    /// <summary><see cref="TextsFor"/> tokenised by <paramref name="tokenizer"/> and padded as a batch.</summary>
    public static BertProbe FromTexts(BertTokenizer tokenizer)
    {
        var texts = TextsFor(tokenizer);
        var encoded = texts.Select(t => tokenizer.Encode(t)).ToArray();
        var (ids, mask, types) = Pad(encoded, tokenizer.PadTokenId);
        return new BertProbe(ids, mask, types, texts);
    }

    /// <summary>
    /// <see cref="ProbeTexts"/> when the vocabulary spells all of them without [UNK]; else texts of its own
    /// whole words (a small or domain vocabulary). Words WordPiece cannot split are where the Extensions'
    /// operator and HF differ by design (docs/deployment.md), and a check should test the graph, not that.
    /// </summary>
    public static IReadOnlyList<string> TextsFor(BertTokenizer tokenizer)
    {
        if (ProbeTexts.All(t => !tokenizer.EncodeToIds(t).Contains(tokenizer.UnkTokenId))) return ProbeTexts;
        var words = Enumerable.Range(0, tokenizer.VocabularySize).Select(tokenizer.IdToToken)
            .Where(w => w.Length > 0 && w.All(char.IsAsciiLetterOrDigit) && (tokenizer.Options.LowerCase != true || w == w.ToLowerInvariant()))
            .ToArray();
        if (words.Length == 0) return ProbeTexts;
        string Text(int count, int start) => string.Join(' ', Enumerable.Range(0, count).Select(i => words[(start + i * 7) % words.Length]));
        return [Text(12, 0), Text(5, 3), Text(1, 1)];
    }

    /// <summary>Encoded texts padded to the longest: ids with the pad id, mask and types with 0.</summary>
    public static (Tensor InputIds, Tensor AttentionMask, Tensor TokenTypeIds) Pad(IReadOnlyList<EncodedText> encoded, int padTokenId)
    {
        int length = encoded.Max(e => e.Count);
        var ids = new long[encoded.Count * length];
        Array.Fill(ids, padTokenId);
        var mask = new long[ids.Length];
        var types = new long[ids.Length];
        for (int row = 0; row < encoded.Count; row++)
            for (int i = 0; i < encoded[row].Count; i++)
            {
                ids[row * length + i] = encoded[row].InputIds[i];
                mask[row * length + i] = encoded[row].AttentionMask[i];
                types[row * length + i] = encoded[row].TokenTypeIds[i];
            }
        long[] shape = [encoded.Count, length];
        return (torch.tensor(ids, shape), torch.tensor(mask, shape), torch.tensor(types, shape));
    }
}
