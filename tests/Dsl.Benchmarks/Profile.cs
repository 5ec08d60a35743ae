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

