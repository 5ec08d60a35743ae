using Dsl;
using Dsl.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Benchmarks;

/// <summary>One synthetic example: 64 features and a class out of 4.</summary>
public readonly record struct Row(float[] Features, int Label);

/// <summary>A batch of rows.</summary>
public sealed class RowBatch(Tensor x, Tensor y) : IBatch<RowBatch, Row>
{
    public Tensor X { get; } = x;
    public Tensor Y { get; } = y;

    public static RowBatch Collate(ReadOnlySpan<Row> rows, Device device)
    {
        const int width = 64;
        var x = new float[rows.Length * width];
        var y = new long[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i].Features.CopyTo(x, i * width);
            y[i] = rows[i].Label;
        }
        return new RowBatch(Collation.Float32(x, [rows.Length, width], device), Collation.Int64(y, [rows.Length], device));
    }

    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
    }
}

/// <summary>64 → 512 → 512 → 4 with LayerNorm and dropout: enough work per step to time.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1 = nn.Linear(64, 512);
    private readonly LayerNorm norm = nn.LayerNorm(512);
    private readonly Dropout dropout = nn.Dropout(0.1);
    private readonly Linear fc2 = nn.Linear(512, 512);
    private readonly Linear head = nn.Linear(512, 4);

    public Mlp() : base(nameof(Mlp)) => RegisterComponents();

    public static Mlp Create(int seed)
    {
        torch.manual_seed(seed);
        return new Mlp();
    }

    public override Tensor forward(Tensor x) =>
        head.forward(nn.functional.gelu(fc2.forward(dropout.forward(nn.functional.gelu(norm.forward(fc1.forward(x)))))));

    public static List<Row> Data(int count, int seed = 5)
    {
        var random = new Random(seed);
        var rows = new List<Row>(count);
        for (int i = 0; i < count; i++)
        {
            var f = new float[64];
            for (int j = 0; j < f.Length; j++) f[j] = (float)(random.NextDouble() * 2 - 1);
            rows.Add(new Row(f, (f[0] > 0 ? 1 : 0) + (f[1] > 0 ? 2 : 0)));
        }
        return rows;
    }
}

/// <summary>The DSL's trainer for the MLP: AdamW and a linear schedule, like the hand loop.</summary>
[Trainer]
public partial class MlpTrainer(Mlp model, TrainingArguments args)
{
    [Optimizer]
    torch.optim.Optimizer CreateOptimizer() => torch.optim.AdamW(model.parameters(), lr: args.LearningRate);

    [Scheduler]
    torch.optim.lr_scheduler.LRScheduler CreateScheduler(torch.optim.Optimizer optimizer, int trainingSteps) =>
        Schedules.Linear(optimizer, 0, trainingSteps);

    [TrainStep]
    Tensor Step(RowBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);

    /// <summary>Resident memory (MB) every 500 steps, for the memory benchmark.</summary>
    public List<(int Step, long Megabytes)> Memory { get; } = [];

    [OnStepEnd]
    void SampleMemory(StepEndEvent e)
    {
        if (e.GlobalStep % 500 == 0) Memory.Add((e.GlobalStep, Environment.WorkingSet / 1048576));
    }
}
