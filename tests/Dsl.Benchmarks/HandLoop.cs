using Dsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks;

/// <summary>
/// The best hand-written TorchSharp loop for the same job: per-epoch seeded permutation, inline
/// collation, a dispose scope per step, clip_grad_norm_, AdamW, a linear rate, loss read every
/// <c>logEvery</c> steps only.
/// </summary>
public static class HandLoop
{
    public static void Train(Mlp model, List<Row> data, int batchSize, int steps, double lr, int logEvery)
    {
        torch.manual_seed(42);
        var optimizer = torch.optim.AdamW(model.parameters(), lr: lr);
        int batches = data.Count / batchSize;
        int step = 0;
        var examples = new Row[batchSize];
        model.train();
        for (int epoch = 0; step < steps; epoch++)
        {
            using var generator = new torch.Generator((ulong)(42 + epoch));
            using var permutation = torch.randperm(data.Count, dtype: ScalarType.Int64, generator: generator);
            long[] order = permutation.data<long>().ToArray();
            for (int b = 0; b < batches && step < steps; b++)
            {
                using var scope = torch.NewDisposeScope();
                for (int i = 0; i < batchSize; i++) examples[i] = data[(int)order[b * batchSize + i]];
                using var batch = RowBatch.Collate(examples, torch.CPU);
                var loss = nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
                loss.backward();
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                optimizer.ParamGroups.First().LearningRate = lr * Math.Max(0.0, (double)(steps - step) / steps);
                optimizer.step();
                model.zero_grad();
                step++;
                if (step % logEvery == 0) _ = loss.item<float>();
            }
        }
    }
}
