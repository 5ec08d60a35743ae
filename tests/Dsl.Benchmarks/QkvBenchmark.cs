using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks;

/// <summary>
/// The Q/K/V projections of one BERT layer, forward and backward: three linear layers against one
/// linear layer over the three weights concatenated (what BertSelfAttention does), alternating.
/// </summary>
public static class QkvBenchmark
{
    public static void Run(int hidden, int rounds)
    {
        using var x = torch.randn(32, 128, hidden).requires_grad_();
        var w = Enumerable.Range(0, 3).Select(_ => torch.randn(hidden, hidden).requires_grad_()).ToArray();
        var b = Enumerable.Range(0, 3).Select(_ => torch.randn(hidden).requires_grad_()).ToArray();
        var candidates = new (string Name, Func<Tensor> Forward)[]
        {
            ("three projections", () => nn.functional.linear(x, w[0], b[0]).sum() + nn.functional.linear(x, w[1], b[1]).sum() + nn.functional.linear(x, w[2], b[2]).sum()),
            ("fused projection", () => nn.functional.linear(x, torch.cat(w, 0), torch.cat(b, 0)).sum()),
        };
        var times = candidates.ToDictionary(c => c.Name, _ => new List<double>());
        for (int r = 0; r <= rounds; r++)
            foreach (var (name, forward) in r % 2 == 0 ? candidates : candidates.Reverse())
            {
                var clock = Stopwatch.StartNew();
                for (int rep = 0; rep < 10; rep++)
                {
                    using var scope = NewDisposeScope();
                    forward().backward();
                }
                if (r > 0) times[name].Add(clock.Elapsed.TotalMilliseconds / 10);
            }
        Console.WriteLine($"Q/K/V of one layer, hidden {hidden}, batch 32 × 128, forward + backward, {torch.get_num_threads()} threads, " +
                          $"{rounds} alternating rounds; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        foreach (var (name, list) in times)
            Console.WriteLine($"  {name,-18} median {list.Order().ElementAt(list.Count / 2):F2} ms   all: {string.Join(" ", list.Select(t => t.ToString("F1")))}");
    }
}
