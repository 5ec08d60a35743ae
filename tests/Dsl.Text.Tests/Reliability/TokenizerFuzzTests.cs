using System.Diagnostics;
using System.Text;
using Dsl.Text.Tokenization;
using Xunit.Abstractions;

namespace Dsl.Text.Tests.Reliability;

/// <summary>
/// The tokenizer against hostile text (issue 25, item 3), checked by relations that hold for HF's BERT tokenizer
/// whatever the vocabulary, so no second implementation is needed: characters HF drops (control, format, private-use,
/// unassigned, lone surrogates, NUL, U+FFFD) change nothing; every whitespace is a space; combining marks after a letter
/// vanish with strip-accents; a word over 100 characters is one [UNK]; truncation keeps the start. Every encoding is
/// well formed ([CLS] ... [SEP], ids in the vocabulary, within MaxLength) and the same twice. CI runs a bounded share;
/// DSL_TOKENIZER_FUZZ_CASES sets the count.
/// </summary>
public sealed class TokenizerFuzzTests(ITestOutputHelper log)
{
    private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(30);
    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("DSL_TOKENIZER_FUZZ_CASES"), out int n) ? n : 300;

    private static readonly string[] Words =
        ["hello", "my", "dog", "is", "cute", "playing", "played", "cafe", "the", "unwanted", "good", "bad", "movie", "naive",
         "resume", "xyz", "q", ",", "!", ".", "?", "'", "$", "café", "naïve", "日本", "😀", "𝔘", "s"];

    // What HF's _clean_text drops: control (Cc), format (Cf: zero-width, BOM, soft hyphen), private use (Co),
    // unassigned (Cn), lone surrogates (Cs), NUL and U+FFFD.
    private static readonly string[] Dropped =
        ["\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\u0000", "\uFFFD", "\u0007", "\u001B", "\uE000", "\u0378", "\uD800", "\uDC00", "\u202E"];

    private static readonly string[] Spaces = ["\t", "\n", "\r", "\r\n", "\u00A0", "\u2003", "\u3000", "\u202F", "  "];

    private static string Text(Random random, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(_ => Words[random.Next(Words.Length)]));

    // Inserts at a place that does not split a surrogate pair nor lands a lone surrogate next to another one.
    private static string InsertAt(Random random, string text, string insert)
    {
        for (int tries = 0; tries < 100; tries++)
        {
            int at = random.Next(text.Length + 1);
            bool splitsPair = at > 0 && at < text.Length && char.IsLowSurrogate(text[at]);
            bool touches = char.IsSurrogate(insert[0]) && ((at > 0 && char.IsSurrogate(text[at - 1])) || (at < text.Length && char.IsSurrogate(text[at])));
            if (!splitsPair && !touches) return text.Insert(at, insert);
        }
        return text;
    }

    private static void AssertWellFormed(BertTokenizer tokenizer, string text, string what)
    {
        var first = tokenizer.Encode(text);
        var again = tokenizer.Encode(text);
        Assert.True(first.InputIds.SequenceEqual(again.InputIds), $"{what}: two encodings differ");
        int length = first.AttentionMask.Count(m => m == 1);
        Assert.True(length <= tokenizer.Options.MaxLength && length >= 2, $"{what}: {length} tokens");
        Assert.Equal(tokenizer.ClsTokenId, first.InputIds[0]);
        Assert.Equal(tokenizer.SepTokenId, first.InputIds[length - 1]);
        Assert.All(first.InputIds, id => Assert.InRange(id, 0, tokenizer.VocabularySize - 1));
    }

    private static T Within<T>(Func<T> work, string what)
    {
        var task = Task.Run(work);
        if (!task.Wait(PerCase)) Assert.Fail($"{what}: still tokenizing after {PerCase.TotalSeconds} s (a hang)");
        return task.Result;
    }

    [Fact]
    public void Hostile_text_keeps_the_relations_of_hfs_bert_tokenizer()
    {
        using var folder = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(folder, new BertTokenizerOptions { MaxLength = 512 });
        var random = new Random(20261204);
        int unk = tokenizer.UnkTokenId;
        var counts = new int[4];
        for (int i = 0; i < Cases; i++)
        {
            string text = Text(random, 1 + random.Next(30));
            int relation = i % 4;
            counts[relation]++;
            string changed = text;
            string what;
            switch (relation)
            {
                case 0:
                    for (int k = 1 + random.Next(5); k > 0; k--) changed = InsertAt(random, changed, Dropped[random.Next(Dropped.Length)]);
                    what = "dropped characters";
                    break;
                case 1:
                    changed = string.Join("", text.Split(' ').Select((w, n) => n == 0 ? w : Spaces[random.Next(Spaces.Length)] + w));
                    what = "other whitespace";
                    break;
                case 2:
                    var marked = new StringBuilder();
                    foreach (char c in text)
                    {
                        marked.Append(c);
                        if (char.IsAsciiLetter(c) && random.Next(3) == 0)
                            for (int k = 1 + random.Next(5); k > 0; k--) marked.Append((char)(0x0300 + random.Next(0x70)));
                    }
                    changed = marked.ToString();
                    what = "combining marks";
                    break;
                default:
                    string word = new(Enumerable.Range(0, 101 + random.Next(5000)).Select(_ => (char)('a' + random.Next(26))).ToArray());
                    changed = "good " + word + " bad";
                    text = "good xyz bad";   // xyz is one [UNK] too
                    what = $"a word of {word.Length} letters";
                    break;
            }
            string label = $"case {i} ({what}): {System.Text.Json.JsonSerializer.Serialize(changed.Length > 300 ? changed[..300] + "…" : changed)}";
            var (expected, actual) = Within(() => (tokenizer.EncodeToIds(text).ToArray(), tokenizer.EncodeToIds(changed).ToArray()), label);
            Assert.True(expected.SequenceEqual(actual), $"{label}: [{string.Join(", ", actual)}], expected [{string.Join(", ", expected)}]");
            if (relation == 3) Assert.Equal(1, actual.Count(id => id == unk));
            AssertWellFormed(tokenizer, changed, label);
        }
        log.WriteLine($"{Cases} cases: {counts[0]} with dropped characters, {counts[1]} with other whitespace, {counts[2]} with combining marks, {counts[3]} with words over 100 letters");
    }

    [Fact]
    public void A_ten_megabyte_text_is_truncated_to_its_start_in_bounded_time()
    {
        using var folder = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(folder, new BertTokenizerOptions { MaxLength = 128 });
        var random = new Random(7);
        var text = new StringBuilder(10 << 20);
        while (text.Length < 10 << 20) text.Append(Text(random, 50)).Append(' ');
        string big = text.ToString();
        var clock = Stopwatch.StartNew();
        var encoded = Within(() => tokenizer.Encode(big), "10 MB of text");
        log.WriteLine($"10 MB of text ({big.Length:N0} characters) encoded in {clock.Elapsed.TotalSeconds:F1} s (busy machine)");
        AssertWellFormed(tokenizer, big[..10_000], "its first 10,000 characters");
        Assert.Equal(128, encoded.InputIds.Length);
        // HF truncates from the end: the first 126 tokens are the start's.
        var start = tokenizer.EncodeToIds(big[..big.IndexOf(' ', 10_000)]);
        Assert.Equal(start.Take(126), encoded.InputIds.Skip(1).Take(126));
        // One word of 10 MB: a single [UNK], not a 10 MB allocation per piece.
        var word = Within(() => tokenizer.EncodeToIds(new string('a', 10 << 20)), "a 10 MB word");
        Assert.Equal([tokenizer.UnkTokenId], word);
    }
}
