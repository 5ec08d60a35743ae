using System.Diagnostics;
using Dsl;
using Dsl.Benchmarks;
using TorchSharp;

// Benchmarks of the generated loop (see docs/benchmarks.md). Run in Release:
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- speed [steps] [rounds] [prefetch]
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- memory [steps]
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- stream [steps] [rounds] [prefetch]
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- bert [size] [steps] [rounds] [max-length] [batch]
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- profile [size] [max-length] [batch]
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- inference [size] [batches] [rounds]
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- loopcost generated|hand STEPS [prefetch]   (under callgrind: loopcost/run.sh)
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- kernels [tiny|mini|minilm512] [threads] [reps]
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- qkv [hidden] [rounds]
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- dropout [layers] [hidden] [rounds]
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- optimizer [size] [steps] [rounds]
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- peer ids|train|eval|sgemm|startup ...   (see peer/harness.py)
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- precision fp32|bf16|fp16 [size] [steps] [max-length] [batch]
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- editor [trainers] [rounds]
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- soak [steps] [max-length] [batch] [vocabulary, 0: all] [report.csv]   (docs/reliability.md)
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- service URL [clients,...] [seconds] [texts-per-request] [data.jsonl]   (see service/run.sh)
//   dotnet run -c Release --project tests/Dsl.Benchmarks -- scale speed SIZE LENGTHS BATCH STEPS ROUNDS | scale run ...
string mode = args.Length > 0 ? args[0] : "speed";
if (mode == "service")
{
    ServiceLoad.Run(args[1], (args.Length > 2 ? args[2] : "1,32").Split(',').Select(int.Parse).ToArray(),
        args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20, args.Length > 4 ? int.Parse(args[4]) : 1,
        args.Length > 5 ? args[5] : null);
    return;
}
if (mode == "scale")
{
    ScaleBenchmark.Run(args);   // real lengths: eager against sdpa, and single runs for peak memory (see ScaleBenchmark.cs)
    return;
}
if (mode == "editor")
{
    EditorCost.Run(args.Length > 1 ? int.Parse(args[1]) : 50, args.Length > 2 ? int.Parse(args[2]) : 40);
    return;
}
if (mode == "soak")
{
    SoakBenchmark.Run(args.Length > 1 ? int.Parse(args[1]) : 20_000, args.Length > 2 ? int.Parse(args[2]) : 64,
        args.Length > 3 ? int.Parse(args[3]) : 8, args.Length > 4 ? int.Parse(args[4]) : 8000, args.Length > 5 ? args[5] : "soak.csv");
    return;
}
if (mode == "inference")
{
    InferenceModeBenchmark.Run(args.Length > 1 ? args[1] : "mini", args.Length > 2 ? int.Parse(args[2]) : 5, args.Length > 3 ? int.Parse(args[3]) : 7);
    return;
}
if (mode == "loopcost")
{
    LoopCost.Run(args[1], int.Parse(args[2]), args.Length > 3 ? int.Parse(args[3]) : 2);
    return;
}
if (mode == "kernels")
{
    KernelBenchmark.Run(args.Length > 1 ? args[1] : "mini", args.Length > 2 ? int.Parse(args[2]) : 1, args.Length > 3 ? int.Parse(args[3]) : 7);
    return;
}
if (mode == "qkv")
{
    QkvBenchmark.Run(args.Length > 1 ? int.Parse(args[1]) : 256, args.Length > 2 ? int.Parse(args[2]) : 7);
    return;
}
if (mode == "dropout")
{
    DropoutBenchmark.Run(args.Length > 1 ? int.Parse(args[1]) : 4, args.Length > 2 ? int.Parse(args[2]) : 256, args.Length > 3 ? int.Parse(args[3]) : 5);
    return;
}
if (mode == "optimizer")
{
    OptimizerBenchmark.Run(args.Length > 1 ? args[1] : "tiny", args.Length > 2 ? int.Parse(args[2]) : 20, args.Length > 3 ? int.Parse(args[3]) : 5);
    return;
}
if (mode == "peer")
{
    PeerBenchmark.Run(args);   // the PyTorch comparison: peer/harness.py calls these modes
    return;
}
if (mode == "precision")
{
    PrecisionBenchmark.Run(args.Length > 1 ? args[1] : "fp32", args.Length > 2 ? args[2] : "mini", args.Length > 3 ? int.Parse(args[3]) : 40,
        args.Length > 4 ? int.Parse(args[4]) : 128, args.Length > 5 ? int.Parse(args[5]) : 16);
    return;
}
if (mode == "profile")
{
    StepProfile.Run(args.Length > 1 ? args[1] : "tiny", args.Length > 2 ? int.Parse(args[2]) : 128, args.Length > 3 ? int.Parse(args[3]) : 32);
    return;
}
if (mode == "bert")
{
    BertBenchmark.Run(args.Length > 1 ? args[1] : "tiny", args.Length > 2 ? int.Parse(args[2]) : 20, args.Length > 3 ? int.Parse(args[3]) : 3,
        args.Length > 4 ? int.Parse(args[4]) : 128, args.Length > 5 ? int.Parse(args[5]) : 32);
    return;
}
int steps = args.Length > 1 ? int.Parse(args[1]) : 300;
int rounds = args.Length > 2 ? int.Parse(args[2]) : 5;
int prefetch = args.Length > 3 ? int.Parse(args[3]) : 2;
const int batchSize = 64;
var data = Mlp.Data(8192);
var output = Path.Combine(Path.GetTempPath(), "dsl-bench");

TrainingArguments Arguments(int maxSteps) => new()
{
    OutputDir = output, MaxSteps = maxSteps, PerDeviceTrainBatchSize = batchSize, LearningRate = 1e-3,
    LoggingSteps = 50, SaveStrategy = SaveStrategy.No, ReportTo = ["none"], DataloaderDropLast = true, DisableTqdm = true,
    DataloaderPrefetchFactor = prefetch,
};

// CPU time of each run too (all threads): other processes' load stretches wall time far more than it does CPU time.
var cpuGenerated = new List<double>();
var cpuHand = new List<double>();

double Generated(int n)
{
    var trainer = new MlpTrainer(Mlp.Create(1), Arguments(n));
    var clock = Stopwatch.StartNew();
    double cpu = CpuTime.ProcessMilliseconds();
    trainer.Train(data);
    cpuGenerated.Add((CpuTime.ProcessMilliseconds() - cpu) / 1000);
    return clock.Elapsed.TotalSeconds;
}

double Hand(int n)
{
    var model = Mlp.Create(1);
    var clock = Stopwatch.StartNew();
    double cpu = CpuTime.ProcessMilliseconds();
    HandLoop.Train(model, data, batchSize, n, 1e-3, 50);
    cpuHand.Add((CpuTime.ProcessMilliseconds() - cpu) / 1000);
    return clock.Elapsed.TotalSeconds;
}

Console.WriteLine($"torch threads: {torch.get_num_threads()}, cores: {Environment.ProcessorCount}");
if (mode == "speed")
{
    Generated(30);
    Hand(30);   // warm up both
    cpuGenerated.Clear();
    cpuHand.Clear();
    var generated = new List<double>();
    var hand = new List<double>();
    for (int r = 0; r < rounds; r++)
    {
        // Alternating which loop goes first, so a drift in the machine's load hits both alike.
        if (r % 2 == 0) { generated.Add(Generated(steps)); hand.Add(Hand(steps)); }
        else { hand.Add(Hand(steps)); generated.Add(Generated(steps)); }
    }
    double g = Median(generated), h = Median(hand);
    Console.WriteLine($"MLP 64-512-512-4, batch {batchSize}, {steps} steps, prefetch {prefetch}, median of {rounds} alternating rounds");
    Console.WriteLine($"  generated loop: {g:F3} s  ({steps / g:F1} steps/s)   all: {string.Join(" ", generated.Select(x => x.ToString("F3")))}");
    Console.WriteLine($"  hand loop:      {h:F3} s  ({steps / h:F1} steps/s)   all: {string.Join(" ", hand.Select(x => x.ToString("F3")))}");
    Console.WriteLine($"  generated / hand = {g / h:F3} (median), {generated.Min() / hand.Min():F3} (fastest of each)");
    var ratios = cpuGenerated.Zip(cpuHand, (a, b) => a / b).ToList();
    Console.WriteLine($"  CPU time, generated / hand = {Median(cpuGenerated) / Median(cpuHand):F4} (medians {Median(cpuGenerated):F3} / {Median(cpuHand):F3} s); " +
                      $"per-round ratios {string.Join(" ", ratios.Select(x => x.ToString("F3")))}, spread (max − min) / median {(ratios.Max() - ratios.Min()) / Median(ratios):P1}");
}
else if (mode == "stream")
{
    // The same rows as a list (shuffled each epoch) and as a stream (read in order on the collation thread).
    IEnumerable<Row> Stream() { foreach (var row in data) yield return row; }
    double Streamed(int n)
    {
        var trainer = new MlpTrainer(Mlp.Create(1), Arguments(n));
        var clock = Stopwatch.StartNew();
        trainer.Train(Stream());
        return clock.Elapsed.TotalSeconds;
    }
    Generated(30);
    Streamed(30);   // warm up both
    var listed = new List<double>();
    var streamed = new List<double>();
    for (int r = 0; r < rounds; r++)
    {
        listed.Add(Generated(steps));
        streamed.Add(Streamed(steps));
    }
    double l = Median(listed), st = Median(streamed);
    Console.WriteLine($"MLP 64-512-512-4, batch {batchSize}, {steps} steps, prefetch {prefetch}, median of {rounds} alternating rounds");
    Console.WriteLine($"  list:   {l:F3} s  ({steps / l:F1} steps/s)   all: {string.Join(" ", listed.Select(x => x.ToString("F3")))}");
    Console.WriteLine($"  stream: {st:F3} s  ({steps / st:F1} steps/s)   all: {string.Join(" ", streamed.Select(x => x.ToString("F3")))}");
    Console.WriteLine($"  stream / list = {st / l:F3} (median), {streamed.Min() / listed.Min():F3} (fastest of each)");
}
else if (mode == "memory")
{
    // Within one long run: resident memory every 500 steps (warm-up first).
    var sampled = new MlpTrainer(Mlp.Create(1), Arguments(steps));
    sampled.Train(data);
    Console.WriteLine($"generated, RSS by step: {string.Join(", ", sampled.Memory.Select(m => $"{m.Step}: {m.Megabytes} MB"))}");
    // RSS and managed heap before and after long runs; a flat line means nothing leaks per step.
    foreach (var (name, run) in new (string, Func<int, double>)[] { ("generated", Generated), ("hand", Hand) })
    {
        run(100);
        long rss0 = Environment.WorkingSet, heap0 = GC.GetTotalMemory(forceFullCollection: true), tensors0 = torch.Tensor.TotalCount;
        long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        run(steps);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
        long rssRun = Environment.WorkingSet;
        long heap1 = GC.GetTotalMemory(forceFullCollection: true);
        GC.WaitForPendingFinalizers();
        long rss1 = Environment.WorkingSet;
        Console.WriteLine($"{name,-9} {steps} steps: RSS {rss0 / 1048576} → {rssRun / 1048576} MB (after GC {rss1 / 1048576} MB), " +
                          $"managed heap {heap0 / 1024} → {heap1 / 1024} KB, live tensors {tensors0} → {torch.Tensor.TotalCount}, " +
                          $"managed allocations {allocated / steps} B/step");
    }
}

static double Median(List<double> xs)
{
    var s = xs.Order().ToList();
    return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
}
