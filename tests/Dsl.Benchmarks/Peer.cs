using System.Diagnostics;
using System.Globalization;
using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks;

/// <summary>
/// The trainer a user writes when the defaults suit them: HF's AdamW groups and linear schedule come
/// from <see cref="TrainingArguments"/>. The hook only timestamps steps for the benchmark.
/// </summary>
[Trainer]
public partial class PeerTrainer(BertForSequenceClassification model, TrainingArguments args)
{
    public Dictionary<int, double> StepEnds { get; } = [];

    [TrainStep]
    Tensor Step(TextBatch batch) => model.forward(batch).Loss!;

    public List<(int Step, long Megabytes)> Memory { get; } = [];

    public int SampleEvery { get; init; }

    [OnStepEnd]
    void Mark(StepEndEvent e)
    {
        StepEnds[e.GlobalStep] = Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        if (SampleEvery > 0 && (e.GlobalStep == 50 || e.GlobalStep % SampleEvery == 0))
            Memory.Add((e.GlobalStep, Environment.WorkingSet / 1048576));
    }
}

/// <summary>
/// Our side of the PyTorch peer benchmark (peer/bert_peer.py is the other; peer/harness.py runs
/// both). Each mode prints one JSON line, as the Python side does.
/// </summary>
public static class PeerBenchmark
{
    private const int Batch = 32;

    public static void Run(string[] args)
    {
        // sgemm and startup touch TorchSharp before anything of Dsl, so the runtime's start-up
        // settings are applied explicitly, as docs/benchmarks.md tells such programs to.
        Dsl.Threading.LibTorchStartup.Apply();
        string mode = args[1];
        string json = mode switch
        {
            "ids" => WriteIds(args[2], int.Parse(args[3], CultureInfo.InvariantCulture),
                args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 128),
            // train SIZE STEPS IDS [BATCH] [ATTENTION]: real lengths pass a smaller batch and eager or sdpa.
            "train" => Train(args[2], int.Parse(args[3], CultureInfo.InvariantCulture), args[4],
                args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : Batch, args.Length > 6 ? args[6] : null),
            "memory" => Memory(args[2], int.Parse(args[3], CultureInfo.InvariantCulture), args[4]),
            "eval" => Evaluate(args[2], int.Parse(args[3], CultureInfo.InvariantCulture), args[4]),
            "sgemm" => Sgemm(int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture)),
            "startup" => $"{{\"sum\": {torch.ones(8).sum().item<float>()}}}",
            _ => throw new ArgumentException($"Unknown peer mode '{mode}': use ids, train, eval, memory, sgemm or startup."),
        };
        Console.WriteLine(json);
    }

    // IMDb reviews tokenised by our BertTokenizer (bert-base-uncased, 128 tokens or maxLength), one line each:
    // "label id id ...". Both sides read this file, so they see the same tokens.
    private static string WriteIds(string path, int count, int maxLength)
    {
        string file = SharedData.Find("imdb/train.jsonl") ?? throw new FileNotFoundException("../shared/data/imdb/train.jsonl not found.");
        string vocab = SharedData.Find("bert-base-uncased/vocab.txt") ?? throw new FileNotFoundException("../shared/data/bert-base-uncased/vocab.txt not found.");
        var tokenizer = BertTokenizer.FromVocabulary(vocab, new BertTokenizerOptions { MaxLength = maxLength });
        using var writer = new StreamWriter(path);
        int written = 0;
        foreach (var example in TextDatasets.LoadJsonLines(file).Take(count))
        {
            var encoded = tokenizer.Encode(example);
            writer.Write(encoded.Label ?? 0);
            foreach (int id in encoded.InputIds) { writer.Write(' '); writer.Write(id); }
            writer.WriteLine();
            written++;
        }
        return $"{{\"examples\": {written}}}";
    }

    private static List<EncodedText> ReadIds(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(line =>
        {
            int[] values = line.Split(' ').Select(int.Parse).ToArray();
            int[] ids = values[1..];
            return new EncodedText(ids, new int[ids.Length], Enumerable.Repeat(1, ids.Length).ToArray(), values[0]);
        }).ToList();

    // The sizes of bert_peer.py's SIZES; attention null is the model's default.
    private static BertForSequenceClassification NewModel(string size, string? attention = null)
    {
        torch.manual_seed(1);
        return new BertForSequenceClassification(ScaleBenchmark.Config(size) with { VocabSize = 30522, AttnImplementation = attention });
    }

    private static TrainingArguments Arguments(int steps, int batch = Batch) => new()
    {
        OutputDir = Path.Combine(Path.GetTempPath(), "dsl-peer"), MaxSteps = steps, PerDeviceTrainBatchSize = batch,
        PerDeviceEvalBatchSize = Batch, LearningRate = 1e-4, LoggingSteps = 10, SaveStrategy = SaveStrategy.No,
        ReportTo = ["none"], DisableTqdm = true,
    };

    // Steps/s after 2 warm-up steps, timed between the warm-up's last step end and the last step end.
    private static string Train(string size, int steps, string idsPath, int batch, string? attention)
    {
        const int warmup = 2;
        var data = ReadIds(idsPath).Take((steps + warmup) * batch).ToList();
        using var model = NewModel(size, attention);
        var trainer = new PeerTrainer(model, Arguments(steps + warmup, batch));
        trainer.Train(data);
        double seconds = trainer.StepEnds[steps + warmup] - trainer.StepEnds[warmup];
        return $"{{\"steps_per_s\": {(steps / seconds).ToString(CultureInfo.InvariantCulture)}}}";
    }

    // Resident memory after warm-up (step 50) and every 500 steps of one long run.
    private static string Memory(string size, int steps, string idsPath)
    {
        var data = ReadIds(idsPath);
        using var model = NewModel(size);
        var trainer = new PeerTrainer(model, Arguments(steps)) { SampleEvery = 500 };
        trainer.Train(data);
        return "{" + string.Join(", ", trainer.Memory.Select(m => $"\"rss_mib_step_{m.Step}\": {m.Megabytes}")) + "}";
    }

    // Examples/s of Evaluate (no grad, the loss per batch) after a one-batch warm-up evaluation.
    private static string Evaluate(string size, int batches, string idsPath)
    {
        var data = ReadIds(idsPath);
        using var model = NewModel(size);
        var trainer = new PeerTrainer(model, Arguments(1));
        trainer.Evaluate(data.Take(Batch).ToList());
        var timed = data.Skip(Batch).Take(batches * Batch).ToList();
        var clock = Stopwatch.StartNew();
        trainer.Evaluate(timed);
        return $"{{\"examples_per_s\": {(timed.Count / clock.Elapsed.TotalSeconds).ToString(CultureInfo.InvariantCulture)}}}";
    }

    private static string Sgemm(int n, int reps)
    {
        using var a = torch.randn(n, n);
        using var b = torch.randn(n, n);
        torch.mm(a, b).Dispose();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) torch.mm(a, b).Dispose();
        double gflops = 2.0 * n * n * n * reps / clock.Elapsed.TotalSeconds / 1e9;
        return $"{{\"gflops\": {gflops.ToString(CultureInfo.InvariantCulture)}, \"mkl_cpu_dispatch\": {(Dsl.Threading.MklCpuDispatch.Loaded ? "true" : "false")}, " +
               $"\"applies\": {(Dsl.Threading.MklCpuDispatch.Applies ? "true" : "false")}}}";
    }
}
