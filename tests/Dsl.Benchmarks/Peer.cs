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

    /// <summary>The step after which the timed steps begin (perf's window opens there, profile.sh).</summary>
    public int Warmup { get; init; } = -1;

    [OnStepEnd]
    void Mark(StepEndEvent e)
    {
        StepEnds[e.GlobalStep] = Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        if (e.GlobalStep == Warmup) PerfWindow.Open();
        else if (e.GlobalStep == args.MaxSteps) PerfWindow.Close();
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
        int Int(int i, int otherwise) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : otherwise;
        string json = mode switch
        {
            "ids" => WriteIds(args[2], Int(3, 0), Int(4, 128)),
            // train|eval SIZE N IDS [BATCH [ATTENTION [PRECISION]]]: ATTENTION eager, sdpa or default (the model's);
            // PRECISION fp32, bf16 or bf16-full-eval.
            "train" => Train(args[2], Int(3, 0), args[4], Int(5, Batch), Attention(args, 6), args.Length > 7 ? args[7] : "fp32"),
            "memory" => Memory(args[2], Int(3, 0), args[4]),
            "eval" => Evaluate(args[2], Int(3, 0), args[4], Int(5, Batch), Attention(args, 6), args.Length > 7 ? args[7] : "fp32"),
            "sgemm" => Sgemm(Int(2, 2048), Int(3, 5)),
            "blas" => $"{{\"blas\": \"{Blas()}\"}}",
            "startup" => $"{{\"sum\": {torch.ones(8).sum().item<float>()}}}",
            _ => throw new ArgumentException($"Unknown peer mode '{mode}': use ids, train, eval, memory, sgemm, blas or startup."),
        };
        Console.WriteLine(json);
    }

    // IMDb reviews tokenised by our BertTokenizer (bert-base-uncased, truncated to maxLength), one line
    // each: "label id id ...". Both sides read this file, so they see the same tokens. Only reviews that
    // fill maxLength are written, so every batch is exactly batch × maxLength tokens whatever the order
    // (our loop shuffles, as HF's Trainer does; the PyTorch side reads in order) and a step's work is known.
    private static string WriteIds(string path, int count, int maxLength)
    {
        string file = SharedData.Find("imdb/train.jsonl") ?? throw new FileNotFoundException("../shared/data/imdb/train.jsonl not found.");
        string vocab = SharedData.Find("bert-base-uncased/vocab.txt") ?? throw new FileNotFoundException("../shared/data/bert-base-uncased/vocab.txt not found.");
        var tokenizer = BertTokenizer.FromVocabulary(vocab, new BertTokenizerOptions { MaxLength = maxLength });
        using var writer = new StreamWriter(path);
        int written = 0;
        foreach (var example in TextDatasets.LoadJsonLines(file))
        {
            if (written == count) break;
            var encoded = tokenizer.Encode(example);
            if (encoded.InputIds.Length < maxLength) continue;
            writer.Write(encoded.Label ?? 0);
            foreach (int id in encoded.InputIds) { writer.Write(' '); writer.Write(id); }
            writer.WriteLine();
            written++;
        }
        if (written < count)
            throw new InvalidOperationException($"{file} has only {written} reviews of at least {maxLength} tokens; {count} were asked for.");
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

    private static string? Attention(string[] args, int i) => args.Length > i && args[i] != "default" ? args[i] : null;

    // precision: fp32, bf16 (TrainingArguments.Bf16) or bf16-full-eval (Bf16FullEval, evaluation only).
    private static TrainingArguments Arguments(int steps, int batch = Batch, string precision = "fp32") => new()
    {
        Bf16 = precision == "bf16", Bf16FullEval = precision == "bf16-full-eval",
        OutputDir = Path.Combine(Path.GetTempPath(), "dsl-peer"), MaxSteps = steps, PerDeviceTrainBatchSize = batch,
        PerDeviceEvalBatchSize = batch, LearningRate = 1e-4, LoggingSteps = 10, SaveStrategy = SaveStrategy.No,
        ReportTo = ["none"], DisableTqdm = true,
    };

    // Steps/s after 2 warm-up steps, timed between the warm-up's last step end and the last step end.
    private static string Train(string size, int steps, string idsPath, int batch, string? attention, string precision)
    {
        const int warmup = 2;
        var data = ReadIds(idsPath).Take((steps + warmup) * batch).ToList();
        using var model = NewModel(size, attention);
        var trainer = new PeerTrainer(model, Arguments(steps + warmup, batch, precision)) { Warmup = warmup };
        trainer.Train(data);
        double seconds = trainer.StepEnds[steps + warmup] - trainer.StepEnds[warmup];
        return $"{{\"steps_per_s\": {(steps / seconds).ToString(CultureInfo.InvariantCulture)}, \"attention\": \"{model.Config.ResolvedAttnImplementation}\"}}";
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
    private static string Evaluate(string size, int batches, string idsPath, int batch, string? attention, string precision)
    {
        var data = ReadIds(idsPath);
        using var model = NewModel(size, attention);
        var trainer = new PeerTrainer(model, Arguments(1, batch, precision));
        trainer.Evaluate(data.Take(batch).ToList());
        var timed = data.Skip(batch).Take(batches * batch).ToList();
        PerfWindow.Open();
        var clock = Stopwatch.StartNew();
        trainer.Evaluate(timed);
        clock.Stop();
        PerfWindow.Close();
        return $"{{\"examples_per_s\": {(timed.Count / clock.Elapsed.TotalSeconds).ToString(CultureInfo.InvariantCulture)}, " +
               $"\"attention\": \"{model.Config.ResolvedAttnImplementation}\"}}";
    }

    private static string Sgemm(int n, int reps)
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(n, n);
        var b = torch.randn(n, n);
        var product = torch.mm(a, b);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) torch.mm(a, b).Dispose();
        double gflops = 2.0 * n * n * n * reps / clock.Elapsed.TotalSeconds / 1e9;
        // The kernels' correctness: the largest difference from the same product in float64.
        double error = (product.to(ScalarType.Float64) - torch.mm(a.to(ScalarType.Float64), b.to(ScalarType.Float64))).abs().max().item<double>();
        return $"{{\"gflops\": {gflops.ToString(CultureInfo.InvariantCulture)}, \"max_abs_diff_vs_float64\": {error.ToString(CultureInfo.InvariantCulture)}, " +
               $"\"blas\": \"{Blas()}\"}}";
    }

    // The BLAS libtorch calls: the oneMKL it links (its version string) and whether MklCpuDispatch lifted
    // MKL's Intel-only check (without it MKL runs its generic kernels on this AMD processor).
    private static string Blas()
    {
        torch.ones(1).Dispose();   // libtorch is loaded by now
        string version = "unknown MKL";
        string? library = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 5 && f[5].EndsWith("libtorch_cpu.so", StringComparison.Ordinal)).Select(f => f[5]).FirstOrDefault();
        if (library is not null && System.Runtime.InteropServices.NativeLibrary.TryLoad(library, out var handle)
            && System.Runtime.InteropServices.NativeLibrary.TryGetExport(handle, "MKL_Get_Version_String", out var export))
        {
            var buffer = new byte[256];
            unsafe
            {
                fixed (byte* text = buffer) ((delegate* unmanaged<byte*, int, void>)export)(text, buffer.Length);
            }
            version = System.Text.Encoding.ASCII.GetString(buffer).TrimEnd('\0').Trim();
        }
        return $"{version}; MklCpuDispatch {(Dsl.Threading.MklCpuDispatch.Loaded ? "lifted MKL's Intel-only check" : "not applied")}, {torch.get_num_threads()} threads";
    }
}

/// <summary>
/// perf's profiling window (peer/profile.sh runs <c>perf record --control fifo:...</c> and names the
/// fifo in PEER_PERF_CONTROL): opened when the timed steps begin and closed when they end, so the
/// profile holds only what the benchmark times.
/// </summary>
public static class PerfWindow
{
    public static void Open() => Send("enable");

    public static void Close() => Send("disable");

    private static void Send(string command)
    {
        string? fifo = Environment.GetEnvironmentVariable("PEER_PERF_CONTROL");
        if (string.IsNullOrEmpty(fifo)) return;
        File.AppendAllText(fifo, command + "\n");
    }
}
