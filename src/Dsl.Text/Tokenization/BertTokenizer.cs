using System.Text;
using Dsl.Text.Data;
using Microsoft.ML.Tokenizers;

namespace Dsl.Text.Tokenization;

/// <summary>
/// BERT's tokenizer with HF's behaviour: HF's normalisation and punctuation split (see
/// <see cref="HfBertNormalizer"/>), Microsoft.ML.Tokenizers' <see cref="WordPieceTokenizer"/> for
/// the word pieces, and HF's call: <c>[CLS] A [SEP]</c> or <c>[CLS] A [SEP] B [SEP]</c>, token
/// types, attention mask, truncation to <see cref="BertTokenizerOptions.MaxLength"/> and optional
/// padding. Special tokens written in the text (<c>[MASK]</c>) stay whole, as in HF. Thread-safe:
/// <see cref="TextDataset{T}.Map{TOut}"/> calls it in parallel.
/// </summary>
public sealed partial class BertTokenizer
{
    /// <summary>The vocabulary file name HF uses.</summary>
    public const string VocabularyFile = "vocab.txt";

    private static readonly string[] SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
    private readonly WordPieceTokenizer _wordPiece;
    private readonly string[] _vocabulary;
    private readonly Dictionary<string, int> _special;

    private BertTokenizer(WordPieceTokenizer wordPiece, string[] vocabulary, BertTokenizerOptions options)
    {
        _wordPiece = wordPiece;
        _vocabulary = vocabulary;
        _special = SpecialTokens.ToDictionary(t => t, t => Array.IndexOf(vocabulary, t));
        Options = options;
    }

    /// <summary>The options, with <see cref="BertTokenizerOptions.LowerCase"/> and <see cref="BertTokenizerOptions.StripAccents"/> resolved.</summary>
    public BertTokenizerOptions Options { get; }

    /// <summary>Tokens in the vocabulary.</summary>
    public int VocabularySize => _vocabulary.Length;

    /// <summary>The id of <c>[PAD]</c>.</summary>
    public int PadTokenId => _special["[PAD]"];

    /// <summary>The id of <c>[CLS]</c>.</summary>
    public int ClsTokenId => _special["[CLS]"];

    /// <summary>The id of <c>[SEP]</c>.</summary>
    public int SepTokenId => _special["[SEP]"];

    /// <summary>The id of <c>[UNK]</c>.</summary>
    public int UnkTokenId => _special["[UNK]"];

    /// <summary>The id of <c>[MASK]</c>.</summary>
    public int MaskTokenId => _special["[MASK]"];

    /// <summary>Reads a WordPiece vocabulary (<c>vocab.txt</c>: one token per line, the id is the line number from 0).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The vocabulary lacks a special token BERT needs, or holds a token twice; the message names the file and line.</exception>
    public static BertTokenizer FromVocabulary(string vocabularyPath, BertTokenizerOptions? options = null)
    {
        if (!File.Exists(vocabularyPath)) throw new FileNotFoundException($"No vocabulary at {vocabularyPath}.", vocabularyPath);
        // One read: the lines and the WordPiece model below come from the same bytes, even if the file changes meanwhile.
        byte[] bytes = File.ReadAllBytes(vocabularyPath);
        var vocabulary = ReadLines(bytes);
        // A trailing empty line is the file's final newline, not a token.
        if (vocabulary.Length > 0 && vocabulary[^1].Length == 0) vocabulary = vocabulary[..^1];
        if (vocabulary.Length == 0)
            throw new InvalidDataException($"{vocabularyPath}: the vocabulary is empty; it needs one token per line, BERT's special tokens among them.");
        var firstLine = new Dictionary<string, int>(vocabulary.Length, StringComparer.Ordinal);
        for (int i = 0; i < vocabulary.Length; i++)
            if (!firstLine.TryAdd(vocabulary[i], i + 1))
                throw new InvalidDataException(
                    $"{vocabularyPath}:{i + 1}: the token '{vocabulary[i]}' is already on line {firstLine[vocabulary[i]]}; every token of a vocabulary must be distinct.");
        foreach (string special in SpecialTokens)
            if (Array.IndexOf(vocabulary, special) < 0)
                throw new InvalidDataException($"{vocabularyPath}: the vocabulary has no {special} token, which BERT needs.");

        options ??= new BertTokenizerOptions();
        if (options.MaxLength < 2) throw new ArgumentException($"MaxLength ({options.MaxLength}) must leave room for [CLS] and [SEP].", nameof(options));
        if (options.HeadTokens is int head && (head < 0 || head > options.MaxLength - 2))
            throw new ArgumentException($"HeadTokens ({head}) must be between 0 and MaxLength − 2 ({options.MaxLength - 2}).", nameof(options));
        bool lowerCase = options.LowerCase ?? IsUncased(vocabulary);
        options = options with { LowerCase = lowerCase, StripAccents = options.StripAccents ?? lowerCase };
        var wordPieceOptions = new WordPieceOptions
        {
            Normalizer = new HfBertNormalizer(lowerCase, options.StripAccents.Value, options.TokenizeChineseChars),
            PreTokenizer = new HfBertPreTokenizer(),
            UnknownToken = "[UNK]",
            ContinuingSubwordPrefix = "##",
            MaxInputCharsPerWord = 100, // HF: a longer word is one [UNK]
        };
        using var stream = new MemoryStream(bytes, writable: false);
        return new BertTokenizer(WordPieceTokenizer.Create(stream, wordPieceOptions), vocabulary, options);
    }

    // File.ReadAllLines's rules (a byte-order mark skipped; \n, \r\n or \r ends a line) over bytes already read.
    private static string[] ReadLines(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is string line) lines.Add(line);
        return [.. lines];
    }

    // An uncased vocabulary (bert-base-uncased) has no upper-case ASCII letter outside its [SPECIAL]
    // tokens; it does hold a few upper-case letters of other scripts, so those do not count.
    private static bool IsUncased(string[] vocabulary)
    {
        foreach (string token in vocabulary)
        {
            if (token.StartsWith('[') && token.EndsWith(']')) continue;
            foreach (char c in token)
                if (char.IsAsciiLetterUpper(c)) return false;
        }
        return true;
    }

    /// <summary>The token of <paramref name="id"/>.</summary>
    public string IdToToken(int id) => _vocabulary[id];

    /// <summary>The WordPiece tokens of <paramref name="text"/>, without special tokens (e.g. <c>["play", "##ing"]</c>).</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        var ids = EncodeToIds(text);
        var tokens = new string[ids.Count];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = _vocabulary[ids[i]];
        return tokens;
    }

    /// <summary>The ids of <paramref name="text"/>'s tokens, without added [CLS]/[SEP]; special tokens written in the text keep their id.</summary>
    public IReadOnlyList<int> EncodeToIds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains('[')) return _wordPiece.EncodeToIds(text);
        // HF matches special tokens in the raw text before normalising (so [MASK] is not lower-cased and split).
        var ids = new List<int>();
        int start = 0;
        for (int i = text.IndexOf('['); i >= 0; i = text.IndexOf('[', i + 1))
        {
            string? special = SpecialTokens.FirstOrDefault(t => string.CompareOrdinal(text, i, t, 0, t.Length) == 0);
            if (special is null) continue;
            if (i > start) ids.AddRange(_wordPiece.EncodeToIds(text[start..i]));
            ids.Add(_special[special]);
            start = i + special.Length;
            i = start - 1;
        }
        if (start < text.Length) ids.AddRange(_wordPiece.EncodeToIds(text[start..]));
        return ids;
    }

    /// <summary>
    /// The text of <paramref name="ids"/> as HF's <c>decode</c> writes it: word pieces joined,
    /// spaces before punctuation cleaned up; special tokens left out unless <paramref name="skipSpecialTokens"/> is false.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            string token = _vocabulary[id];
            if (skipSpecialTokens && _special.ContainsKey(token)) continue;
            if (token.StartsWith("##", StringComparison.Ordinal)) text.Append(token, 2, token.Length - 2);
            else
            {
                if (text.Length > 0) text.Append(' ');
                text.Append(token);
            }
        }
        // HF's clean_up_tokenization.
        return text.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
            .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re").ToString();
    }

    /// <summary>Encodes a labelled example (and its second text, if any).</summary>
    public EncodedText Encode(TextExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return Encode(example.Text, example.TextPair, example.Label);
    }

    /// <summary>
    /// Encodes <paramref name="text"/> (and <paramref name="pair"/>) as HF's tokenizer call does:
    /// <c>[CLS] text [SEP]</c> or <c>[CLS] text [SEP] pair [SEP]</c>, token types 0 then 1,
    /// truncated to <see cref="BertTokenizerOptions.MaxLength"/> (longest sequence first) and padded as configured.
    /// </summary>
    /// <exception cref="ArgumentException">The text is too long and truncation is off.</exception>
    public EncodedText Encode(string text, string? pair = null, int? label = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = EncodeToIds(text);
        var second = pair is null ? null : EncodeToIds(pair);
        int special = second is null ? 2 : 3;
        int n1 = first.Count, n2 = second?.Count ?? 0;
        int max = Options.MaxLength;
        if (n1 + n2 + special > max)
        {
            if (!Options.Truncation)
                throw new ArgumentException(
                    $"The text has {n1 + n2 + special} tokens with special tokens, more than MaxLength {max}; set Truncation = true or raise MaxLength.");
            (n1, n2) = LongestFirst(n1, n2, n1 + n2 + special - max);
        }

        // Head and tail: the first HeadTokens of the text, then its last tokens (only a single text is ever cut so).
        int head = Options.HeadTokens is int h && second is null && n1 < first.Count ? Math.Min(h, n1) : n1;
        int tailStart = first.Count - (n1 - head);
        int length = n1 + n2 + special;
        int padded = Options.Padding == Padding.MaxLength ? max : length;
        var ids = new int[padded];
        var types = new int[padded];
        var mask = new int[padded];
        int t = 0;
        ids[t++] = ClsTokenId;
        for (int i = 0; i < head; i++) ids[t++] = first[i];
        for (int i = tailStart; i < first.Count; i++) ids[t++] = first[i];
        ids[t++] = SepTokenId;
        if (second is not null)
        {
            for (int i = 0; i < n2; i++) { types[t] = 1; ids[t++] = second[i]; }
            types[t] = 1;
            ids[t++] = SepTokenId;
        }
        for (int i = 0; i < length; i++) mask[i] = 1;
        if (PadTokenId != 0) Array.Fill(ids, PadTokenId, length, padded - length);
        return new EncodedText(ids, types, mask, label);
    }

    // HF's 'longest_first': remove one token at a time from the longer sequence (from the second on ties).
    private static (int, int) LongestFirst(int n1, int n2, int excess)
    {
        int fromFirst = Math.Min(excess, Math.Max(0, n1 - n2));
        int fromSecond = Math.Min(excess - fromFirst, Math.Max(0, n2 - n1));
        int rest = excess - fromFirst - fromSecond;
        fromSecond += (rest + 1) / 2;
        fromFirst += rest / 2;
        if (fromFirst > n1 || fromSecond > n2)
            throw new ArgumentException($"MaxLength is too small to hold even the special tokens.");
        return (n1 - fromFirst, n2 - fromSecond);
    }
}
