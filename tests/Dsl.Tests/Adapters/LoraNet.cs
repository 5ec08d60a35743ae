using Dsl.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl.Tests.Adapters;

/// <summary>
/// 4 → 16 → 16 → 2 with a LayerNorm, dropout and a head named <c>classifier</c>, calling its layers with
/// <c>call(x)</c> (PyTorch's <c>module(x)</c>) so their hooks, and so LoRA, run. <c>Forward</c> = false calls
/// <c>forward(x)</c> instead, which skips hooks.
/// </summary>
public sealed class LoraNet : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly LayerNorm norm;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public LoraNet(double dropoutRate = 0.1, int width = 16) : base(nameof(LoraNet))
    {
        fc1 = nn.Linear(4, width);
        fc2 = nn.Linear(width, width);
        norm = nn.LayerNorm(width);
        dropout = nn.Dropout(dropoutRate);
        classifier = nn.Linear(width, 2);
        RegisterComponents();
    }

    /// <summary>A net with weights from <paramref name="seed"/>.</summary>
    public static LoraNet Create(int seed = 1, double dropoutRate = 0.1, int width = 16)
    {
        torch.manual_seed(seed);
        return new LoraNet(dropoutRate, width);
    }

    /// <summary>Call the layers with forward(x), which skips hooks (as most hand-written TorchSharp models do).</summary>
    public bool CallsForward { get; init; }

    public override Tensor forward(Tensor x)
    {
        if (CallsForward) return classifier.forward(dropout.forward(norm.forward(nn.functional.relu(fc2.forward(nn.functional.relu(fc1.forward(x)))))));
        return classifier.call(dropout.call(norm.call(nn.functional.relu(fc2.call(nn.functional.relu(fc1.call(x)))))));
    }

    /// <summary>Every parameter's values, for exact comparisons.</summary>
    public Dictionary<string, float[]> Snapshot()
    {
        var result = new Dictionary<string, float[]>();
        foreach (var (name, p) in named_parameters()) result[name] = p.detach().cpu().data<float>().ToArray();
        return result;
    }
}

/// <summary>The DSL's defaults: the default optimizer (trainable parameters only) and schedule; accuracy.</summary>
[Trainer]
public partial class LoraTrainer(LoraNet model, TrainingArguments args)
{
    public List<float> Losses { get; } = [];

    [TrainStep]
    StepOutput Step(SampleBatch batch)
    {
        var logits = model.forward(batch.X);
        var loss = nn.functional.cross_entropy(logits, batch.Y);
#pragma warning disable DSL101 // a host sync per step, on purpose: the resume tests compare every micro-batch loss
        Losses.Add(loss.detach().to(ScalarType.Float32).item<float>());
#pragma warning restore DSL101
        return new StepOutput(loss, logits, batch.Y);
    }

    [Metric]
    double Accuracy(Tensor predictions, Tensor labels) =>
        predictions.argmax(-1).eq(labels).to(ScalarType.Float64).mean().item<double>();
}

/// <summary>An [Optimizer] over model.parameters(): the frozen base weights too.</summary>
[Trainer]
public partial class AllParametersTrainer(LoraNet model, TrainingArguments args)
{
    [Optimizer]
    Optimizer CreateOptimizer() => AdamW(model.parameters(), lr: args.LearningRate);

    [Scheduler]
    LRScheduler CreateScheduler(Optimizer optimizer, int trainingSteps) => Schedules.Linear(optimizer, 0, trainingSteps);

    [TrainStep]
    Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
}
