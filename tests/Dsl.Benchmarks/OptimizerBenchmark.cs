using System.Diagnostics;
using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks;

/// <summary>
/// The optimizer step alone on a BERT's parameters with fixed random gradients: TorchSharp's AdamW
/// and SGD against the defaults' lean steps (Dsl.Optimization), alternating, median ms per step.
/// </summary>
public static class OptimizerBenchmark
{
    public static void Run(string size, int steps, int rounds)
    {
        var config = (size == "mini" ? BertConfig.Mini : BertConfig.Tiny) with { VocabSize = 30522 };
        torch.manual_seed(1);
        using var model = new BertForSequenceClassification(config);
        foreach (var p in model.parameters()) p.grad = torch.randn_like(p) * 1e-3;
        var args = new TrainingArguments { LearningRate = 1e-4, WeightDecay = 0.01 };
        var candidates = new (string Name, Func<optim.Optimizer> Create)[]
        {
            ("TorchSharp AdamW", () => optim.AdamW(model.parameters(), lr: 1e-4, beta2: 0.999, weight_decay: 0.01)),
            ("lean AdamW", () => Optimizers.AdamW(model, args)),
            ("TorchSharp SGD", () => optim.SGD(model.parameters(), 1e-4, weight_decay: 0.01)),
            ("lean SGD", () => Optimizers.Sgd(model, args)),
        };
        var times = candidates.ToDictionary(c => c.Name, _ => new List<double>());
        for (int r = 0; r <= rounds; r++)
            foreach (var (name, create) in r % 2 == 0 ? candidates : candidates.Reverse())
            {
                using var optimizer = (IDisposable)create();
                var step = (optim.Optimizer)optimizer;
                step.step();   // state allocated outside the timing
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < steps; i++) step.step();
                if (r > 0) times[name].Add(clock.Elapsed.TotalMilliseconds / steps);   // round 0 warms up
            }
        Console.WriteLine($"BERT-{size} ({model.parameters().Sum(p => p.numel()):N0} parameters), {torch.get_num_threads()} threads, " +
                          $"{steps} steps × {rounds} alternating rounds; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        foreach (var (name, list) in times)
            Console.WriteLine($"  {name,-17} median {list.Order().ElementAt(list.Count / 2):F2} ms/step   all: {string.Join(" ", list.Select(x => x.ToString("F1")))}");
    }
}
