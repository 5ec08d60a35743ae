using System.Diagnostics;
using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks;

/// <summary>
/// Dropout forward and backward on the shapes of a BERT-mini step (batch 32 × 128 tokens): libtorch's
/// <c>nn.functional.dropout</c> against <see cref="FastDropout"/>, alternating, median ms per step's
/// worth of dropout calls (embeddings, per layer attention probabilities and two hidden states, classifier).
/// </summary>
public static class DropoutBenchmark
{
    public static void Run(int layers, int hidden, int rounds)
    {
        int heads = hidden / 64;
        var shapes = new List<long[]> { new long[] { 32, 128, hidden } };
        for (int l = 0; l < layers; l++)
        {
            shapes.Add([32, heads, 128, 128]);
            shapes.Add([32, 128, hidden]);
            shapes.Add([32, 128, hidden]);
        }
        shapes.Add([32, hidden]);
        var inputs = shapes.Select(s => torch.randn(s).requires_grad_()).ToList();
        var fast = new FastDropout(0.1);
        fast.train();
        var candidates = new (string Name, Func<Tensor, Tensor> Apply)[]
        {
            ("libtorch dropout", x => nn.functional.dropout(x, 0.1, training: true)),
            ("FastDropout", x => fast.forward(x)),
        };
        var times = candidates.ToDictionary(c => c.Name, _ => new List<double>());
        for (int r = 0; r <= rounds; r++)
            foreach (var (name, apply) in r % 2 == 0 ? candidates : candidates.Reverse())
            {
                var clock = Stopwatch.StartNew();
                for (int rep = 0; rep < 3; rep++)
                {
                    using var scope = NewDisposeScope();
                    foreach (var x in inputs) apply(x).sum().backward();
                }
                if (r > 0) times[name].Add(clock.Elapsed.TotalMilliseconds / 3);
            }
        Console.WriteLine($"dropout of one BERT step ({layers} layers, hidden {hidden}, {shapes.Sum(s => s.Aggregate(1L, (a, b) => a * b)):N0} elements), " +
                          $"forward + backward, {torch.get_num_threads()} threads, {rounds} alternating rounds; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        foreach (var (name, list) in times)
            Console.WriteLine($"  {name,-17} median {list.Order().ElementAt(list.Count / 2):F1} ms   all: {string.Join(" ", list.Select(x => x.ToString("F1")))}");
    }
}
