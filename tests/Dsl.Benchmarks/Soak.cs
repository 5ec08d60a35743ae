using System.Diagnostics;
using System.Globalization;
using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks;

/// <summary>The soak test's trainer: the default optimizer and schedule, accuracy, and a sample of the process every few steps.</summary>
[Trainer]
public partial class SoakTrainer(BertForSequenceClassification model, TrainingArguments args)
{
    /// <summary>Steps between samples.</summary>
    public int SampleEvery { get; init; } = 250;

    /// <summary>One row per sample.</summary>
    public List<SoakSample> Samples { get; } = [];

    /// <summary>A CSV file each sample is appended to as it is taken (a long run can be read while it goes on), or null.</summary>
    public string? Report { get; init; }

    [TrainStep]
    StepOutput Step(TextBatch batch)
    {
        var output = model.forward(batch);
        return output.ToStepOutput();
    }

    [Metric]
    double Accuracy(Tensor predictions, Tensor labels) =>
        predictions.argmax(-1).eq(labels).to(ScalarType.Float64).mean().item<double>();

    [OnStepEnd]
    void Sample(StepEndEvent e)
    {
        if (e.GlobalStep % SampleEvery != 0) return;
        var sample = SoakSample.Take(e.GlobalStep);
        Samples.Add(sample);
        if (Report is not null) File.AppendAllText(Report, sample + "\n");
    }
}

/// <summary>What the process holds at one step: resident memory, managed heap, open files, threads, live tensors.</summary>
public readonly record struct SoakSample(int Step, double Seconds, long RssBytes, long ManagedBytes, int OpenFiles, int Threads, long LiveTensors)
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    /// <summary>Reads /proc/self (Linux): VmRSS and Threads from status, the entries of fd.</summary>
    public static SoakSample Take(int step)
    {
        long rss = 0;
        int threads = 0;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line) * 1024;
            else if (line.StartsWith("Threads:", StringComparison.Ordinal)) threads = int.Parse(line[8..].Trim(), CultureInfo.InvariantCulture);
        }
        int files = Directory.GetFileSystemEntries("/proc/self/fd").Length;
        return new SoakSample(step, Clock.Elapsed.TotalSeconds, rss, GC.GetTotalMemory(forceFullCollection: false), files, threads, torch.Tensor.TotalCount);

        static long Kilobytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The CSV header matching <see cref="ToString"/>.</summary>
    public const string Header = "step,seconds,rss_mib,managed_mib,open_files,threads,live_tensors";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Step},{Seconds:F1},{RssBytes / 1048576.0:F1},{ManagedBytes / 1048576.0:F1},{OpenFiles},{Threads},{LiveTensors}");
}

/// <summary>
/// The soak test (issue 25, item 2): BERT-tiny for many steps with evaluations, logs and checkpoints every few hundred
/// steps, sampling the process. Flat means: after warm-up the open files, threads and live tensors do not change
/// between samples taken at the same point of the loop, and resident memory has no upward trend (its least-squares
/// slope over the second half is reported per 1,000 steps). It measures memory, not speed.
/// </summary>
public static class SoakBenchmark
{
    public static void Run(int steps, int maxLength, int batchSize, int vocabularySize, string report)
    {
        var tokenizer = Tokenizer(maxLength, vocabularySize);
        var (train, source) = Texts("imdb/train.jsonl", 4000, seed: 3);
        var (eval, _) = Texts("imdb/test.jsonl", 256, seed: 4);
        var trainSet = train.Map(tokenizer.Encode);
        var evalSet = eval.Map(tokenizer.Encode);
        string output = Path.Combine(Path.GetTempPath(), "dsl-soak-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var args = new TrainingArguments
        {
            OutputDir = output, MaxSteps = steps, PerDeviceTrainBatchSize = batchSize, PerDeviceEvalBatchSize = 32,
            LearningRate = 1e-4, LoggingSteps = 100, EvalStrategy = IntervalStrategy.Steps, EvalSteps = 400,
            SaveStrategy = SaveStrategy.Steps, SaveSteps = 400, SaveTotalLimit = 2, ReportTo = ["jsonl", "tensorboard"],
            DisableTqdm = true,
        };
        torch.manual_seed(1);
        using var model = new BertForSequenceClassification(BertConfig.Tiny with { VocabSize = tokenizer.VocabularySize, NumLabels = 2 });
        Console.WriteLine($"Soak: BERT-tiny (vocabulary {tokenizer.VocabularySize}), {trainSet.Count} reviews from {source}, length {maxLength}, batch {batchSize}, {steps} steps; " +
                          $"evaluation (256 reviews) and checkpoint every 400 steps, logs every 100; output {output}");
        var trainer = new SoakTrainer(model, args) { SampleEvery = Math.Max(1, steps / 100), Report = report };
        trainer.Samples.Add(SoakSample.Take(0));
        File.WriteAllLines(report, [SoakSample.Header, trainer.Samples[0].ToString()]);
        try
        {
            trainer.Train(trainSet, evalSet);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
        Summarise(trainer.Samples, steps);
        Console.WriteLine($"Samples written to {report}");
    }

    private static void Summarise(List<SoakSample> samples, int steps)
    {
        var settled = samples.Where(s => s.Step >= steps / 10).ToList();   // after warm-up: the first 10 %
        var half = samples.Where(s => s.Step >= steps / 2).ToList();
        static string Range<T>(IEnumerable<T> values) where T : IComparable<T> =>
            string.Create(CultureInfo.InvariantCulture, $"{values.Min()} .. {values.Max()}");
        Console.WriteLine($"After warm-up (step {settled[0].Step} to {settled[^1].Step}, {settled.Count} samples):");
        Console.WriteLine($"  RSS MiB:       {settled.Min(s => s.RssBytes) / 1048576.0:F0} .. {settled.Max(s => s.RssBytes) / 1048576.0:F0}; " +
                          $"slope over the second half {Slope(half, s => s.RssBytes / 1048576.0) * 1000:F2} MiB per 1,000 steps");
        Console.WriteLine($"  managed MiB:   {settled.Min(s => s.ManagedBytes) / 1048576.0:F0} .. {settled.Max(s => s.ManagedBytes) / 1048576.0:F0}");
        Console.WriteLine($"  open files:    {Range(settled.Select(s => s.OpenFiles))}");
        Console.WriteLine($"  threads:       {Range(settled.Select(s => s.Threads))}");
        Console.WriteLine($"  live tensors:  {Range(settled.Select(s => s.LiveTensors))}");
        Console.WriteLine($"  steps/s:       {(settled[^1].Step - settled[0].Step) / (settled[^1].Seconds - settled[0].Seconds):F1} (busy machine)");
    }

    // Least-squares slope of value against step.
    private static double Slope(List<SoakSample> samples, Func<SoakSample, double> value)
    {
        double mx = samples.Average(s => (double)s.Step), my = samples.Average(value);
        double sxy = samples.Sum(s => (s.Step - mx) * (value(s) - my)), sxx = samples.Sum(s => (s.Step - mx) * (s.Step - mx));
        return sxx == 0 ? 0 : sxy / sxx;
    }

    private static (TextDataset<TextExample>, string) Texts(string relative, int count, int seed)
    {
        string? file = SharedData.Find(relative);
        if (file is not null) return (TextDatasets.LoadJsonLines(file).Shuffle(seed).Take(count), file);
        var random = new Random(seed);
        string[] words = ["good", "bad", "movie", "plot", "actor", "the", "a", "was", "not", "great", "boring", "scene"];
        var texts = Enumerable.Range(0, count).Select(i => new TextExample(
            string.Join(' ', Enumerable.Range(0, 200).Select(_ => words[random.Next(words.Length)])), i % 2)).ToList();
        return (new TextDataset<TextExample>(texts, "synthetic text"), "synthetic text");
    }

    // bert-base-uncased's vocabulary, or its first vocabularySize entries (the special tokens, every character and the
    // most common words come first): a smaller embedding makes each AdamW step cheaper, and the loop's work the same.
    private static BertTokenizer Tokenizer(int maxLength, int vocabularySize)
    {
        var options = new BertTokenizerOptions { MaxLength = maxLength };
        string? vocab = SharedData.Find("bert-base-uncased/vocab.txt");
        if (vocab is not null && vocabularySize > 0)
        {
            string cut = Path.Combine(Path.GetTempPath(), $"dsl-soak-vocab-{vocabularySize}.txt");
            File.WriteAllLines(cut, File.ReadLines(vocab).Take(vocabularySize));
            return BertTokenizer.FromVocabulary(cut, options);
        }
        if (vocab is not null) return BertTokenizer.FromVocabulary(vocab, options);
        string path = Path.Combine(Path.GetTempPath(), "dsl-soak-vocab.txt");
        File.WriteAllLines(path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "movie", "plot", "actor", "the", "a", "was", "not", "great", "boring", "scene"]);
        return BertTokenizer.FromVocabulary(path, options);
    }
}
