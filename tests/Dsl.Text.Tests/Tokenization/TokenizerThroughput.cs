using System.Diagnostics;
using Dsl.Text.Data;
using Dsl.Text.Tokenization;
using Xunit.Abstractions;

namespace Dsl.Text.Tests.Tokenization;

/// <summary>
/// Reviews per second when tokenising IMDb's 25,000 training reviews (bert-base-uncased, truncation
/// to 512), on one thread and with the parallel Map. A measurement, skipped by default:
/// <c>DSL_MEASURE=1 dotnet test tests/Dsl.Text.Tests --filter TokenizerThroughput --logger "console;verbosity=detailed"</c>.
/// </summary>
public class TokenizerThroughput(ITestOutputHelper output)
{
    [MeasurementFact]
    public void Tokenising_imdb_full_train()
    {
        string? vocabulary = TestPaths.SharedData("bert-base-uncased/vocab.txt");
        string? path = TestPaths.SharedData("imdb-full/train.jsonl.gz");
        if (vocabulary is null || path is null)
        {
            output.WriteLine("shared/data/imdb-full or bert-base-uncased is not present; nothing measured.");
            return;
        }
        var clock = Stopwatch.StartNew();
        var reviews = TextDatasets.LoadJsonLines(path);
        output.WriteLine($"Loaded {reviews.Count} reviews in {clock.Elapsed.TotalSeconds:F2} s.");
        var tokenizer = BertTokenizer.FromVocabulary(vocabulary);
        reviews.Take(500).Map(tokenizer.Encode, degreeOfParallelism: 1); // warm up

        foreach (int? threads in new int?[] { 1, null })
        {
            clock.Restart();
            var encoded = reviews.Map(tokenizer.Encode, threads);
            double seconds = clock.Elapsed.TotalSeconds;
            long tokens = encoded.Sum(e => (long)e.Count);
            output.WriteLine($"Map with {threads?.ToString() ?? $"all {Environment.ProcessorCount}"} thread(s): {reviews.Count / seconds:F0} reviews/s " +
                $"({seconds:F2} s, {tokens / seconds / 1e6:F2} M tokens/s, {encoded.Count(e => e.Count == 512)} truncated to 512).");
            Assert.Equal(reviews.Count, encoded.Count);
        }
    }
}
