using System.Diagnostics;
using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks;

/// <summary>Where a BERT training step spends its time: forward, backward, clipping, optimizer.</summary>
public static class StepProfile
{
    public static void Run(string size, int maxLength, int batchSize)
    {
        var config = (size switch { "mini" => BertConfig.Mini, "small" => BertConfig.Small, "base" => BertConfig.Base, _ => BertConfig.Tiny });
        torch.manual_seed(1);
        using var model = new BertForSequenceClassification(config);
        var optimizer = torch.optim.AdamW(model.parameters(), lr: 1e-4);
        using var ids = torch.randint(1000, 20000, [batchSize, maxLength]);
        using var mask = torch.ones(batchSize, maxLength, dtype: ScalarType.Int64);
        using var types = torch.zeros(batchSize, maxLength, dtype: ScalarType.Int64);
        using var labels = torch.randint(0, 2, [batchSize]);
        var times = new double[4];
        for (int i = 0; i < 6; i++)
        {
            using var scope = torch.NewDisposeScope();
            var clock = Stopwatch.StartNew();
            var loss = model.forward(ids, mask, types, labels).Loss!;
            double f = clock.Elapsed.TotalMilliseconds;
            loss.backward();
            double b = clock.Elapsed.TotalMilliseconds;
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            double c = clock.Elapsed.TotalMilliseconds;
            optimizer.step();
            model.zero_grad();
            double o = clock.Elapsed.TotalMilliseconds;
            if (i == 0) continue;
            times[0] += f; times[1] += b - f; times[2] += c - b; times[3] += o - c;
        }
        Console.WriteLine($"BERT-{size} {batchSize}x{maxLength}: forward {times[0] / 5:F1} ms, backward {times[1] / 5:F1} ms, clip {times[2] / 5:F1} ms, optimizer {times[3] / 5:F1} ms");
    }
}

public static class OpProfile
{
    public static void Run()
    {
        Console.WriteLine($"threads {torch.get_num_threads()}, interop {torch.get_num_interop_threads()}");
        using var x = torch.randn(4096, 128);
        using var w = torch.randn(128, 128);
        using var emb = torch.randn(30522, 128);
        using var ids = torch.randint(0, 30522, [32, 128]);
        Time("matmul 4096x128 @ 128x128", () => { using var y = x.matmul(w); });
        Time("linear", () => { using var y = nn.functional.linear(x, w); });
        Time("gelu", () => { using var y = nn.functional.gelu(x); });
        using var x3 = torch.randn(32, 128, 128);
        using var w4 = torch.randn(512, 128);
        using var b4 = torch.randn(512);
        Time("linear 3d 128->512", () => { using var y = nn.functional.linear(x3, w4, b4); });
        Time("linear 2d 128->512", () => { using var y = nn.functional.linear(x, w4, b4); });
        Time("linear 3d->2d view 128->512", () => { using var v = x3.view(-1, 128); using var y = nn.functional.linear(v, w4, b4); });
        using var lin = nn.Linear(128, 512);
        Time("Linear module 3d", () => { using var y = lin.forward(x3); });
        using (torch.no_grad()) Time("Linear module 3d no_grad", () => { using var y = lin.forward(x3); });
        Time("gelu 3d 512", () => { using var t = torch.randn(32, 128, 512); using var y = nn.functional.gelu(t); });
        Time("layer_norm", () => { using var y = nn.functional.layer_norm(x, [128]); });
        Time("softmax 32x2x128x128", () => { using var s = torch.randn(32, 2, 128, 128); using var y = s.softmax(-1); });
        Time("embedding lookup", () => { using var y = emb.index_select(0, ids.flatten()); });
        Time("adam-like 4M elementwise x6", () => { using var a = emb.mul(0.9); using var b = a.add(emb); using var c = b.sqrt(); });
    }

    private static void Time(string name, Action action)
    {
        for (int i = 0; i < 3; i++) action();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 20; i++) action();
        Console.WriteLine($"{name}: {clock.Elapsed.TotalMilliseconds / 20:F2} ms");
    }
}

public static class LayerProfile
{
    public static void Run()
    {
        var config = BertConfig.Tiny;
        torch.manual_seed(1);
        using var emb = new BertEmbeddings(config);
        using var layer = new BertLayer(config);
        using var selfAttention = new BertSelfAttention(config);
        using var inter = new BertIntermediate(config);
        using var ids = torch.randint(1000, 20000, [32, 128]);
        using var h = torch.randn(32, 128, 128);
        using var mask = torch.zeros(32, 1, 1, 128);
        using (torch.no_grad())
        {
            Time("embeddings", () => { using var s = torch.NewDisposeScope(); emb.forward(ids, null); });
            Time("self-attention", () => { using var s = torch.NewDisposeScope(); selfAttention.forward(h, mask); });
            Time("intermediate", () => { using var s = torch.NewDisposeScope(); inter.forward(h); });
            Time("layer", () => { using var s = torch.NewDisposeScope(); layer.forward(h, mask); });
        }
    }

    private static void Time(string name, Action action)
    {
        for (int i = 0; i < 2; i++) action();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 10; i++) action();
        Console.WriteLine($"{name}: {clock.Elapsed.TotalMilliseconds / 10:F2} ms");
    }
}
