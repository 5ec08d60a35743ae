using System.Diagnostics;
using Dsl.Memory;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;

namespace Dsl.Benchmarks;

/// <summary>
/// BERT at real lengths (docs/benchmarks.md, "Real lengths"): the generated loop on batches of exactly
/// the given length (random token ids, bert-base-uncased's vocabulary size), so every batch is the
/// longest. Two modes:
/// <list type="bullet">
/// <item><c>scale speed SIZE LENGTHS BATCH STEPS ROUNDS</c>: eager against sdpa attention, alternating, at each
/// length (comma-separated), seconds per training step (median of the rounds, after one warm-up round).</item>
/// <item><c>scale run SIZE LENGTH BATCH ATTENTION CHECKPOINTING PRECISION STEPS</c>: one run (for a peak-memory
/// measurement under a cgroup, scale/peaks.sh): prints the memory estimate and the seconds per step.</item>
/// </list>
/// SIZE is tiny, mini, small, minilm (all-MiniLM-L6-v2's shape: 6 layers, 384 wide, 12 heads) or base.
/// </summary>
public static class ScaleBenchmark
{
    public static void Run(string[] args)
    {
        if (args.Length > 1 && args[1] == "speed")
        {
            Speed(args[2], args[3].Split(',').Select(int.Parse).ToArray(), int.Parse(args[4]), int.Parse(args[5]), int.Parse(args[6]));
            return;
        }
        if (args.Length > 1 && args[1] == "run")
        {
            var (seconds, estimate) = Train(args[2], int.Parse(args[3]), int.Parse(args[4]), args[5], args[6] == "checkpointing",
                args[7], int.Parse(args[8]), printEstimate: true);
            Console.WriteLine($"{args[2]} {args[3]}×{args[4]} {args[5]} {args[6]} {args[7]}: {seconds:F2} s/step (after the first step), " +
                              $"estimate {MemoryEstimate.Gib(estimate.TotalBytes)} GiB, peak resident {MemoryEstimate.Gib(PeakResident())} GiB");
            return;
        }
        Console.Error.WriteLine("usage: scale speed SIZE LENGTHS BATCH STEPS ROUNDS | scale run SIZE LENGTH BATCH eager|sdpa checkpointing|none fp32|bf16 STEPS");
    }

    public static BertConfig Config(string size) => size switch
    {
        "tiny" => BertConfig.Tiny,
        "mini" => BertConfig.Mini,
        "small" => BertConfig.Small,
        "minilm" => new BertConfig { NumHiddenLayers = 6, HiddenSize = 384, NumAttentionHeads = 12, IntermediateSize = 1536 },
        "base" => BertConfig.Base,
        _ => throw new ArgumentException($"unknown size {size}: tiny, mini, small, minilm or base"),
    };

    private static void Speed(string size, int[] lengths, int batch, int steps, int rounds)
    {
        Console.WriteLine($"BERT-{size}, batch {batch}, {steps} training steps a run, {rounds} alternating rounds after a warm-up, " +
                          $"{torch.get_num_threads()} threads; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        foreach (int length in lengths)
        {
            var times = new Dictionary<string, List<double>> { ["eager"] = [], ["sdpa"] = [] };
            for (int r = 0; r <= rounds; r++)
                foreach (string attention in r % 2 == 0 ? new[] { "eager", "sdpa" } : ["sdpa", "eager"])
                {
                    var (seconds, _) = Train(size, length, batch, attention, false, "fp32", steps, printEstimate: false);
                    if (r > 0) times[attention].Add(seconds);
                }
            double eager = Median(times["eager"]), sdpa = Median(times["sdpa"]);
            Console.WriteLine($"  {length,4} tokens: eager {eager:F3} s/step, sdpa {sdpa:F3} s/step, sdpa/eager {sdpa / eager:F3}   " +
                              $"(eager: {string.Join(" ", times["eager"].Select(t => t.ToString("F3")))}; sdpa: {string.Join(" ", times["sdpa"].Select(t => t.ToString("F3")))})");
        }
    }

    // Seconds per step after the first (which pays for allocation), and the estimate Train made.
    private static (double Seconds, MemoryEstimate Estimate) Train(string size, int length, int batch, string attention, bool checkpointing,
        string precision, int steps, bool printEstimate)
    {
        var random = new Random(5);
        var data = Enumerable.Range(0, (steps + 1) * batch).Select(i =>
        {
            var ids = new int[length];
            for (int t = 0; t < length; t++) ids[t] = t == 0 ? 101 : t == length - 1 ? 102 : random.Next(1000, 30000);
            return new EncodedText(ids, new int[length], Enumerable.Repeat(1, length).ToArray(), i % 2);
        }).ToList();
        torch.manual_seed(1);
        using var model = new BertForSequenceClassification(Config(size) with { AttnImplementation = attention });
        var args = new TrainingArguments
        {
            OutputDir = Path.Combine(Path.GetTempPath(), "dsl-bench-scale"), MaxSteps = steps + 1, PerDeviceTrainBatchSize = batch,
            LearningRate = 1e-4, LoggingSteps = 1000, SaveStrategy = SaveStrategy.No, ReportTo = [printEstimate ? "console" : "none"],
            DisableTqdm = true, GradientCheckpointing = checkpointing, Bf16 = precision == "bf16",
        };
        var estimate = MemoryPlan.Estimate(args, model, data);
        var trainer = new StepTimedTrainer(model, args);
        trainer.Train(data);
        return ((trainer.Last - trainer.First) / steps, estimate);
    }

    // The process's peak resident set (VmHWM), what the estimate is of.
    private static double PeakResident() =>
        double.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))[6..].Replace("kB", "").Trim(),
            System.Globalization.CultureInfo.InvariantCulture) * 1024;

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}

/// <summary>The tutorial's trainer, timing its optimizer steps.</summary>
[Trainer]
public partial class StepTimedTrainer(BertForSequenceClassification model, TrainingArguments args)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public double First { get; private set; }
    public double Last { get; private set; }

    [Optimizer]
    torch.optim.Optimizer CreateOptimizer() => torch.optim.AdamW(model.parameters(), lr: args.LearningRate);

    [TrainStep]
    torch.Tensor Step(Dsl.Text.Data.TextBatch batch) => model.forward(batch).Loss!;

    [OnStepEnd]
    void Time(StepEndEvent e)
    {
        if (e.State.GlobalStep == 1) First = _clock.Elapsed.TotalSeconds;
        Last = _clock.Elapsed.TotalSeconds;
    }
}
