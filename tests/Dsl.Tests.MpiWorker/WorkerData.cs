using Dsl;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.MpiWorker;

/// <summary>Eight features and a class.</summary>
public readonly record struct WorkerExample(float[] Features, int Label);

/// <summary>X [n, 8], Y [n].</summary>
public sealed class WorkerBatch(Tensor x, Tensor y) : IBatch<WorkerBatch, WorkerExample>
{
    public Tensor X { get; } = x;
    public Tensor Y { get; } = y;

    public static WorkerBatch Collate(ReadOnlySpan<WorkerExample> examples, Device device)
    {
        var x = new float[examples.Length * WorkerData.Features];
        var y = new long[examples.Length];
        for (int i = 0; i < examples.Length; i++)
        {
            examples[i].Features.CopyTo(x, WorkerData.Features * i);
            y[i] = examples[i].Label;
        }
        return new WorkerBatch(
            Dsl.Data.Collation.Float32(x, [examples.Length, WorkerData.Features], device),
            Dsl.Data.Collation.Int64(y, [examples.Length], device));
    }

    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
    }
}

public static class WorkerData
{
    public const int Features = 8;

    /// <summary>Seeded examples: the label is whether a fixed function of the features is positive.</summary>
    public static List<WorkerExample> Make(int count, int seed)
    {
        var random = new Random(seed);
        var examples = new List<WorkerExample>(count);
        for (int i = 0; i < count; i++)
        {
            var f = new float[Features];
            for (int j = 0; j < Features; j++) f[j] = (float)(random.NextDouble() * 2 - 1);
            int label = 0.8 * f[0] - 0.5 * f[1] + 0.3 * f[2] * f[3] - 0.2 * f[7] > 0 ? 1 : 0;
            examples.Add(new WorkerExample(f, label));
        }
        return examples;
    }
}

/// <summary>8 → width → width → 2 with dropout and a LayerNorm.</summary>
public sealed class WorkerNet : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear fc1, fc2, fc3;
    private readonly TorchSharp.Modules.Dropout dropout;
    private readonly TorchSharp.Modules.LayerNorm norm;

    private WorkerNet(double dropoutRate, int width) : base(nameof(WorkerNet))
    {
        fc1 = nn.Linear(WorkerData.Features, width);
        dropout = nn.Dropout(dropoutRate);
        norm = nn.LayerNorm(width);
        fc2 = nn.Linear(width, width);
        fc3 = nn.Linear(width, 2);
        RegisterComponents();
    }

    public static WorkerNet Create(int seed, double dropout, int width)
    {
        torch.manual_seed(seed);
        return new WorkerNet(dropout, width);
    }

    // call(x), PyTorch's module(x): the layers' hooks run, so a LoRA adapter (--lora) reaches the output.
    public override Tensor forward(Tensor x) =>
        fc3.call(nn.functional.relu(fc2.call(norm.forward(dropout.forward(nn.functional.relu(fc1.call(x)))))));

    public Dictionary<string, float[]> Snapshot()
    {
        var result = new Dictionary<string, float[]>();
        foreach (var (name, p) in named_parameters()) result[name] = p.detach().cpu().data<float>().ToArray();
        return result;
    }
}
