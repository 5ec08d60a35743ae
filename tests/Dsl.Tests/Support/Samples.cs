using Dsl;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Support;

/// <summary>One example of the tests' synthetic problem: four features and a class.</summary>
public readonly record struct Sample(float[] Features, int Label);

/// <summary>A batch of samples: X [n, 4] and Y [n].</summary>
public sealed class SampleBatch : IBatch<SampleBatch, Sample>
{
    public SampleBatch(Tensor x, Tensor y)
    {
        X = x;
        Y = y;
    }

    public Tensor X { get; }
    public Tensor Y { get; }
    public int Count => (int)Y.shape[0];

    public static SampleBatch Collate(ReadOnlySpan<Sample> samples, Device device)
    {
        OwnTensors.Enlist();   // a test counting its own tensors counts the collating thread's too
        var x = new float[samples.Length * 4];
        var y = new long[samples.Length];
        for (int i = 0; i < samples.Length; i++)
        {
            samples[i].Features.CopyTo(x, 4 * i);
            y[i] = samples[i].Label;
        }
        return new SampleBatch(
            Dsl.Data.Collation.Float32(x, [samples.Length, 4], device),
            Dsl.Data.Collation.Int64(y, [samples.Length], device));
    }

    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
    }
}

/// <summary>Seeded synthetic data: the label is whether a fixed linear function of the features is positive.</summary>
public static class SampleData
{
    public static List<Sample> Make(int count, int seed = 7)
    {
        var random = new Random(seed);
        var samples = new List<Sample>(count);
        for (int i = 0; i < count; i++)
        {
            var f = new float[4];
            for (int j = 0; j < 4; j++) f[j] = (float)(random.NextDouble() * 2 - 1);
            int label = 0.8 * f[0] - 0.5 * f[1] + 0.3 * f[2] * f[3] > 0 ? 1 : 0;
            samples.Add(new Sample(f, label));
        }
        return samples;
    }
}

/// <summary>4 → 16 → 2 with dropout, so runs depend on torch's generator as real models do.</summary>
public sealed class TinyNet : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear fc1;
    private readonly TorchSharp.Modules.Dropout dropout;
    private readonly TorchSharp.Modules.LayerNorm norm;
    private readonly TorchSharp.Modules.Linear fc2;

    public TinyNet(double dropoutRate = 0.1) : base(nameof(TinyNet))
    {
        fc1 = nn.Linear(4, 16);
        dropout = nn.Dropout(dropoutRate);
        norm = nn.LayerNorm(16);
        fc2 = nn.Linear(16, 2);
        RegisterComponents();
    }

    /// <summary>A net with weights from <paramref name="seed"/>: the same for every call.</summary>
    public static TinyNet Create(int seed = 1, double dropoutRate = 0.1)
    {
        torch.manual_seed(seed);
        return new TinyNet(dropoutRate);
    }

    public override Tensor forward(Tensor x) =>
        fc2.forward(norm.forward(dropout.forward(nn.functional.relu(fc1.forward(x)))));

    /// <summary>Every parameter's values, for exact comparisons.</summary>
    public Dictionary<string, float[]> Snapshot()
    {
        var result = new Dictionary<string, float[]>();
        foreach (var (name, p) in named_parameters()) result[name] = p.detach().cpu().data<float>().ToArray();
        return result;
    }
}
