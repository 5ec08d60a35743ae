using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks;

/// <summary>
/// The products of a BERT layer in float32 and bfloat16, alone and with the casts around them, forward
/// and backward: which of them the processor's bf16 units make faster. Times are the process's CPU time
/// per call (1 thread by default), which other processes' load inflates far less than wall time; run
/// with <c>ONEDNN_VERBOSE=1</c> to see the oneDNN implementation each bf16 product uses.
/// </summary>
public static class KernelBenchmark
{
    public static void Run(string size, int threads, int reps)
    {
        torch.set_num_threads(threads);
        var (hidden, heads, length, batch) = size switch
        {
            "mini" => (256, 4, 128, 32),
            "minilm512" => (384, 12, 512, 16),
            _ => (128, 2, 128, 32),
        };
        long tokens = (long)batch * length;
        Console.WriteLine($"BERT-{size} shapes: {batch} × {length} tokens, hidden {hidden}, {heads} heads; {threads} thread(s), {reps} calls each; " +
                          $"load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"  {"product",-34} {"fp32 ms",9} {"bf16 ms",9} {"bf16+casts",11} {"GFLOP/s fp32",13} {"bf16",8}");
        foreach (var (n, k) in new[] { (3 * hidden, hidden), (hidden, hidden), (4 * hidden, hidden), (hidden, 4 * hidden) })
        {
            double flops = 2.0 * tokens * n * k;
            Compare($"linear {k}→{n} forward", flops, reps, dtype =>
            {
                var x = torch.randn(tokens, k); var w = torch.randn(n, k); var b = torch.randn(n);
                var (xc, wc, bc) = (x.to(dtype), w.to(dtype), b.to(dtype));
                return (() => nn.functional.linear(xc, wc, bc), () => nn.functional.linear(x.to(dtype), w.to(dtype), b.to(dtype)).to(ScalarType.Float32));
            });
            Compare($"linear {k}→{n} forward+backward", 3 * flops, reps, dtype =>
            {
                var x = torch.randn(tokens, k); var w = torch.randn(n, k); var b = torch.randn(n);
                var xc = x.to(dtype).requires_grad_(); var wc = w.to(dtype).requires_grad_(); var bc = b.to(dtype).requires_grad_();
                x.requires_grad_(); w.requires_grad_(); b.requires_grad_();
                return (() => { nn.functional.linear(xc, wc, bc).sum().backward(); return xc; },
                        () => { nn.functional.linear(x.to(dtype), w.to(dtype), b.to(dtype)).to(ScalarType.Float32).sum().backward(); return x; });
            });
        }
        int headSize = hidden / heads;
        double attentionFlops = 2.0 * batch * heads * length * length * headSize;
        Compare("scores q·kᵀ (batched)", attentionFlops, reps, dtype =>
        {
            var q = torch.randn(batch, heads, length, headSize); var kt = torch.randn(batch, heads, length, headSize).transpose(-1, -2);
            var (qc, kc) = (q.to(dtype), kt.to(dtype));
            return (() => qc.matmul(kc), () => q.to(dtype).matmul(kt.to(dtype)).to(ScalarType.Float32));
        });
        Compare("context p·v (batched)", attentionFlops, reps, dtype =>
        {
            var p = torch.randn(batch, heads, length, length); var v = torch.randn(batch, heads, length, headSize);
            var (pc, vc) = (p.to(dtype), v.to(dtype));
            return (() => pc.matmul(vc), () => p.to(dtype).matmul(v.to(dtype)).to(ScalarType.Float32));
        });
        Compare("softmax over the scores", 0, reps, dtype =>
        {
            var s = torch.randn(batch, heads, length, length); var sc = s.to(dtype);
            return (() => sc.softmax(-1), () => s.to(dtype).softmax(-1).to(ScalarType.Float32));
        });
        Compare("gelu on the intermediate", 0, reps, dtype =>
        {
            var h = torch.randn(tokens, 4 * hidden); var hc = h.to(dtype);
            return (() => nn.functional.gelu(hc), () => nn.functional.gelu(h.to(dtype)).to(ScalarType.Float32));
        });
        Compare("layer_norm", 0, reps, dtype =>
        {
            var h = torch.randn(tokens, hidden); var hc = h.to(dtype);
            return (() => nn.functional.layer_norm(hc, [hidden]), () => nn.functional.layer_norm(h.to(dtype), [hidden]).to(ScalarType.Float32));
        });
    }

    // Times one product in float32, in bf16 on bf16 inputs, and in bf16 with float32 inputs cast in and the result cast out.
    private static void Compare(string name, double flops, int reps, Func<ScalarType, (Func<Tensor> Plain, Func<Tensor> Cast)> make)
    {
        using var scope = NewDisposeScope();
        var fp32 = make(ScalarType.Float32).Plain;
        var (bf16, casts) = make(ScalarType.BFloat16);
        double a = Time(fp32, reps), b = Time(bf16, reps), c = Time(casts, reps);
        string rate(double ms) => flops == 0 ? "" : (flops / ms / 1e6).ToString("F1");
        Console.WriteLine($"  {name,-34} {a,9:F3} {b,9:F3} {c,11:F3} {rate(a),13} {rate(b),8}");
    }

    // The median CPU time of one call, in ms, after one warm-up call.
    private static double Time(Func<Tensor> call, int reps)
    {
        using (NewDisposeScope()) call();
        var times = new List<double>();
        for (int i = 0; i < reps; i++)
        {
            using var scope = NewDisposeScope();
            double before = CpuTime.ProcessMilliseconds();
            call();
            times.Add(CpuTime.ProcessMilliseconds() - before);
        }
        return times.Order().ElementAt(times.Count / 2);
    }
}
