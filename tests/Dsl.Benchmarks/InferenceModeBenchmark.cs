using System.Diagnostics;
using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks;

/// <summary>BERT forward passes in eval mode under <c>no_grad</c> against <c>inference_mode</c>, alternating.</summary>
public static class InferenceModeBenchmark
{
    public static void Run(string size, int batches, int rounds)
    {
        var config = (size == "mini" ? BertConfig.Mini : BertConfig.Tiny) with { VocabSize = 30522 };
        torch.manual_seed(1);
        using var model = new BertForSequenceClassification(config);
        model.eval();
        using var ids = torch.randint(1000, 30000, [32, 128]);
        var candidates = new (string Name, Func<IDisposable> Guard)[]
        {
            ("no_grad", () => torch.no_grad()),
            ("inference_mode", () => torch.inference_mode()),
        };
        var times = candidates.ToDictionary(c => c.Name, _ => new List<double>());
        for (int r = 0; r <= rounds; r++)
            foreach (var (name, guard) in r % 2 == 0 ? candidates : candidates.Reverse())
            {
                var clock = Stopwatch.StartNew();
                using (guard())
                    for (int i = 0; i < batches; i++)
                    {
                        using var scope = NewDisposeScope();
                        _ = model.forward(ids).Logits;
                    }
                if (r > 0) times[name].Add(clock.Elapsed.TotalMilliseconds / batches);
            }
        Console.WriteLine($"BERT-{size} eval forward, batch 32 × 128, {torch.get_num_threads()} threads, {rounds} alternating rounds; " +
                          $"load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        foreach (var (name, list) in times)
            Console.WriteLine($"  {name,-15} median {list.Order().ElementAt(list.Count / 2):F1} ms/batch   all: {string.Join(" ", list.Select(t => t.ToString("F1")))}");
    }
}
