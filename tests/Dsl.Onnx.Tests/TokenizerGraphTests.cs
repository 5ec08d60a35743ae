using System.Text;
using Dsl.Onnx.Tokenization;
using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Dsl.Onnx.Tests;

/// <summary>
/// The graph that tokenises (ONNX Runtime Extensions' BertTokenizer operator) against our tokenizer:
/// the same ids, mask and token types, on a built-in set and on the real test reviews.
/// </summary>
public sealed class TokenizerGraphTests(Xunit.Abstractions.ITestOutputHelper log)
{
    /// <summary>Texts that exercise the normaliser: case, accents, punctuation, CJK, digits, contractions, long words, blanks.</summary>
    public static readonly string[] BuiltIn =
    [
        "A gripping film, with a superb cast.",
        "I didn't like it... at ALL!!! 1/10",
        "Café Müller: naïve, façade, résumé, Ångström.",
        "The sequel (2004) was \"unwatchable\" - truly; honestly? yes.",
        "中文电影 and 日本語 mixed with English",
        "supercalifragilisticexpialidociousness is a word",
        "tabs\tand\nnewlines  and   spaces",
        "",
        "emoji 🙂 and symbols © ® ™ % $ # @ & * + = < > ~ ^",
        "don't won't can't it's i'm you're they'll",
        "unbelievably, unwatchable, overacting, underrated",
        new string('a', 120) + " is longer than a word may be",
    ];

    private static BertTokenizer Tokenizer(TempFolder temp, int maxLength, bool truncation = true, bool small = false) =>
        BertTokenizer.FromVocabulary(Vocabulary(temp, small), new BertTokenizerOptions { MaxLength = maxLength, Truncation = truncation });

    // bert-base-uncased's vocabulary when shared/data has it, else (or when asked) a small one of our own.
    private static string Vocabulary(TempFolder temp, bool small)
    {
        if (!small && SharedData.Find("bert-base-uncased/vocab.txt") is { } vocab) return vocab;
        // Without the shared vocabulary: a small one made as BERT's are, with the texts' words, and every
        // character they use alone and as a "##" continuation, so WordPiece can always split a word.
        var words = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string text in BuiltIn.Concat(Bert.BertProbe.ProbeTexts))
        {
            string normalised = new(text.ToLowerInvariant().Normalize(NormalizationForm.FormD)
                .Where(c => char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark).ToArray());
            foreach (string word in normalised.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries))
            {
                words.Add(new string(word.Where(char.IsLetterOrDigit).ToArray()));
                foreach (var rune in word.EnumerateRunes())
                {
                    words.Add(rune.ToString());
                    words.Add("##" + rune);
                }
            }
        }
        words.Remove("");
        string path = temp.File("vocab.txt");
        File.WriteAllLines(path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. words], new UTF8Encoding(false));
        return path;
    }

    // Compares the graph's padded rows with our encodings; returns the texts whose ids differ (with where).
    private static List<string> Differences(string graph, BertTokenizer tokenizer, IReadOnlyList<string> texts)
    {
        using var session = Ort.Open(graph);
        var (ids, mask, types) = TokenizerExport.Run(session, texts);
        var encoded = texts.Select(t => tokenizer.Encode(t)).ToArray();
        Assert.Equal(encoded.Max(e => e.Count), ids.GetLength(1));
        var differences = new List<string>();
        for (int row = 0; row < texts.Count; row++)
        {
            var ours = encoded[row];
            int width = ids.GetLength(1);
            var theirs = Enumerable.Range(0, width).TakeWhile(i => mask[row, i] == 1).Select(i => (int)ids[row, i]).ToArray();
            Assert.All(Enumerable.Range(theirs.Length, width - theirs.Length), i => Assert.Equal((0L, (long)tokenizer.PadTokenId), (mask[row, i], ids[row, i])));
            Assert.All(Enumerable.Range(0, theirs.Length), i => Assert.Equal(0L, types[row, i]));
            if (theirs.SequenceEqual(ours.InputIds)) continue;
            int at = Enumerable.Range(0, Math.Min(theirs.Length, ours.Count)).FirstOrDefault(i => theirs[i] != ours.InputIds[i], Math.Min(theirs.Length, ours.Count));
            string Window(IEnumerable<int> list) => string.Join(" ", list.Skip(Math.Max(0, at - 2)).Take(5).Select(tokenizer.IdToToken));
            differences.Add($"token {at}: ours [{Window(ours.InputIds)}], the operator's [{Window(theirs)}] in \"{texts[row][..Math.Min(80, texts[row].Length)]}\"");
        }
        return differences;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_tokenizer_graph_gives_our_ids_on_the_built_in_texts(bool smallVocabulary)
    {
        using var temp = new TempFolder();
        var tokenizer = Tokenizer(temp, maxLength: 64, small: smallVocabulary);
        var report = OnnxExport.SaveTokenizer(tokenizer, temp.File("tokenizer.onnx"));
        Assert.Equal(["text: string [batch_size]"], report.Inputs);
        var differences = Differences(report.Path, tokenizer, BuiltIn);
        foreach (string d in differences) log.WriteLine(d);
        Assert.Empty(differences);
    }

    [Fact]
    public void Texts_longer_than_max_length_are_cut_as_ours_are_and_a_batch_of_one_works()
    {
        using var temp = new TempFolder();
        var tokenizer = Tokenizer(temp, maxLength: 8);
        var report = OnnxExport.SaveTokenizer(tokenizer, temp.File("tokenizer.onnx"));
        Assert.Empty(Differences(report.Path, tokenizer, BuiltIn));
        Assert.Empty(Differences(report.Path, tokenizer, [BuiltIn[1]]));
        using var session = Ort.Open(report.Path);
        Assert.Equal(8, TokenizerExport.Run(session, [string.Join(' ', Enumerable.Repeat("film", 50))]).InputIds.GetLength(1));
    }

    [SharedDataFact("imdb/test.jsonl", "bert-base-uncased/vocab.txt")]
    public void The_tokenizer_graph_gives_our_ids_on_the_real_test_reviews()
    {
        using var temp = new TempFolder();
        var tokenizer = Tokenizer(temp, maxLength: 512);
        var report = OnnxExport.SaveTokenizer(tokenizer, temp.File("tokenizer.onnx"));
        var reviews = TextDatasets.Load(SharedData.Find("imdb/test.jsonl")!).Select(e => e.Text).ToArray();
        var differences = reviews.Chunk(50).SelectMany(chunk => Differences(report.Path, tokenizer, chunk)).ToList();
        log.WriteLine($"{reviews.Length - differences.Count} of {reviews.Length} reviews give our ids exactly");
        foreach (string d in differences.Take(20)) log.WriteLine(d);
        Assert.True(reviews.Length >= 1000, $"only {reviews.Length} reviews");
        Assert.Empty(differences);
    }

    [Fact]
    public void A_classifier_that_takes_text_gives_the_logits_of_our_tokenizer_and_model()
    {
        using var temp = new TempFolder();
        var tokenizer = Tokenizer(temp, maxLength: 24);
        var config = Berts.Config(vocab: tokenizer.VocabularySize, positions: 32, labels: 3);
        using var model = Berts.Randomised(new BertForSequenceClassification(config), seed: 17);
        var report = OnnxExport.Save(model, tokenizer, temp.File("text.onnx"));
        Assert.Equal(["text: string [batch_size]"], report.Inputs);
        Assert.Equal(["logits: float32 [batch_size, 3]"], report.Outputs);
        Assert.Equal("24", Ort.Read(report.Path).MetadataProps.Single(p => p.Key == "max_length").Value);

        using var session = Ort.Open(report.Path);
        foreach (var batch in new[] { BuiltIn, BuiltIn[..1], BuiltIn[3..7] })
        {
            using var scope = torch.NewDisposeScope();
            var encoded = batch.Select(t => tokenizer.Encode(t)).ToArray();
            var (ids, mask, types) = Bert.BertProbe.Pad(encoded, tokenizer.PadTokenId);
            Tensor ours;
            using (torch.no_grad()) ours = model.forward(ids, mask, types).Logits;
            var theirs = Ort.RunTexts(session, batch)["logits"];
            double difference = Ort.MaxDifference(ours, theirs);
            Assert.True(difference < 1e-4, $"{batch.Length} texts: {difference:E2}");
        }
    }

    /// <summary>
    /// Where the operator (Extensions 0.14.0) and HF's rules, which ours follow, part: pinned, so an
    /// Extensions update that changes any of them shows here. None occurs in the 1,000 test reviews.
    /// </summary>
    [SharedDataFact("bert-base-uncased/vocab.txt")]
    public void Where_the_operator_departs_from_HFs_rules_is_known_exactly()
    {
        using var temp = new TempFolder();
        var tokenizer = Tokenizer(temp, maxLength: 64);
        var report = OnnxExport.SaveTokenizer(tokenizer, temp.File("tokenizer.onnx"), new OnnxExportOptions { Verify = false });
        var known = new (string Text, string Ours, string Operator)[]
        {
            // HF matches special tokens written in the text before normalising; the operator tokenises them as words.
            ("a [MASK] b", "[CLS] a [MASK] b [SEP]", "[CLS] a [ mask ] b [SEP]"),
            // HF lower-cases all of Unicode; the operator leaves Greek capitals as they are, which the uncased vocabulary lacks.
            ("ΣΑΣ", "[CLS] σ ##α ##σ [SEP]", "[CLS] [UNK] [SEP]"),
            // HF's accent stripping is NFD, which splits Hangul syllables into jamo; the operator maps characters one by one.
            ("한국어", "[CLS] ᄒ ##ᅡ ##ᆫ ##ᄀ ##ᅮ ##ᆨ ##ᄋ ##ᅥ [SEP]", "[CLS] [UNK] [SEP]"),
            // HF drops format characters (category Cf) such as a byte-order mark; the operator keeps them.
            ("\ufeffbom", "[CLS] bo ##m [SEP]", "[CLS] [UNK] [SEP]"),
            // HF splits only on spaces, tabs and newlines; the operator also on U+2028 (line separator).
            ("x\u2028y", "[CLS] [UNK] [SEP]", "[CLS] x [UNK] [SEP]"),
            // HF gives one [UNK] for a word WordPiece cannot split to the end; the operator keeps the pieces it found first.
            ("film🙂", "[CLS] [UNK] [SEP]", "[CLS] film [UNK] [SEP]"),
            // HF drops NUL; the operator's strings end there.
            ("a\0b", "[CLS] ab [SEP]", "[CLS] a [SEP]"),
        };
        using var session = Ort.Open(report.Path);
        var (ids, mask, _) = TokenizerExport.Run(session, known.Select(k => k.Text).ToArray());
        for (int row = 0; row < known.Length; row++)
        {
            var theirs = Enumerable.Range(0, ids.GetLength(1)).TakeWhile(i => mask[row, i] == 1).Select(i => tokenizer.IdToToken((int)ids[row, i]));
            Assert.Equal(known[row].Ours, string.Join(" ", tokenizer.Encode(known[row].Text).InputIds.Select(tokenizer.IdToToken)));
            Assert.Equal(known[row].Operator, string.Join(" ", theirs));
        }
    }

    [Fact]
    public void A_tokenizer_that_does_not_truncate_cannot_go_into_a_graph()
    {
        using var temp = new TempFolder();
        var tokenizer = Tokenizer(temp, 16, truncation: false);
        var error = Assert.Throws<ArgumentException>(() => OnnxExport.SaveTokenizer(tokenizer, temp.File("tokenizer.onnx")));
        Assert.Contains("Truncation = true", error.Message);
        Assert.False(File.Exists(temp.File("tokenizer.onnx")));
    }
}
