using System.Text.Json.Nodes;
using Dsl.Text.Data;
using Dsl.Text.Tokenization;
using Xunit.Abstractions;

namespace Dsl.Text.Tests.Tokenization;

/// <summary>bert-base-uncased's real vocabulary from shared/data; skipped when it is absent.</summary>
public class RealVocabularyTests(ITestOutputHelper output)
{
    private const string Vocabulary = "bert-base-uncased/vocab.txt";

    private static BertTokenizer Tokenizer() => BertTokenizer.FromVocabulary(TestPaths.SharedData(Vocabulary)!);

    [SharedDataFact(Vocabulary)]
    public void Known_ids_of_hello_my_dog_is_cute()
    {
        var tokenizer = Tokenizer();
        Assert.True(tokenizer.Options.LowerCase);
        Assert.Equal([101, 7592, 1010, 2026, 3899, 2003, 10140, 102], tokenizer.Encode("Hello, my dog is cute").InputIds);
        Assert.Equal((0, 100, 101, 102, 103), (tokenizer.PadTokenId, tokenizer.UnkTokenId, tokenizer.ClsTokenId, tokenizer.SepTokenId, tokenizer.MaskTokenId));
    }

    [SharedDataFact(Vocabulary)]
    public void Tricky_samples_match_the_reference_tokenizer_built_from_tokenizer_json()
    {
        var tokenizer = Tokenizer();
        var samples = JsonNode.Parse(File.ReadAllText(TestPaths.Fixture("bert-base-uncased-samples.json")))!["samples"]!.AsArray();
        foreach (var sample in samples)
        {
            string text = (string)sample!["text"]!;
            int[] expected = sample["ids"]!.AsArray().Select(n => (int)n!).ToArray();
            int[] actual = tokenizer.Encode(text).InputIds;
            Assert.True(expected.SequenceEqual(actual),
                $"{text}\n expected {string.Join(" ", expected.Select(tokenizer.IdToToken))}\n actual   {string.Join(" ", actual.Select(tokenizer.IdToToken))}");
        }
    }

    [SharedDataFact("imdb/test.jsonl")]
    public void The_first_200_imdb_test_reviews_have_few_unknown_tokens()
    {
        if (TestPaths.SharedData(Vocabulary) is null) return;
        var tokenizer = Tokenizer();
        var reviews = TextDatasets.LoadJsonLines(TestPaths.SharedData("imdb/test.jsonl")!).Take(200);
        var whole = BertTokenizer.FromVocabulary(TestPaths.SharedData(Vocabulary)!, new BertTokenizerOptions { Truncation = false, MaxLength = 100_000 });
        var encoded = reviews.Map(whole.Encode);
        long tokens = 0, unknown = 0;
        int worst = 0;
        foreach (var e in encoded)
        {
            int inReview = e.InputIds.Count(id => id == tokenizer.UnkTokenId);
            tokens += e.Count - 2;
            unknown += inReview;
            worst = Math.Max(worst, inReview);
        }
        double rate = (double)unknown / tokens;
        output.WriteLine($"200 IMDb test reviews: {tokens} tokens, {unknown} [UNK] ({rate:P3}), at most {worst} in one review.");
        Assert.True(rate < 0.002, $"[UNK] rate {rate:P3}");
        Assert.True(worst <= 5, $"a review has {worst} [UNK] tokens");
        // <br /> is kept as HF tokenises it: "<", "br", "/", ">".
        Assert.Contains(encoded, e => Contains(e.InputIds, tokenizer.Encode("<br />").InputIds[1..^1]));
    }

    private static bool Contains(int[] ids, int[] part)
    {
        for (int i = 0; i + part.Length <= ids.Length; i++)
            if (ids.AsSpan(i, part.Length).SequenceEqual(part)) return true;
        return false;
    }
}
