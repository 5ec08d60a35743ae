using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl.Tests.Precision;

/// <summary>
/// TinyNet (a plain module: Linear, dropout, LayerNorm, Linear) with AdamW and a linear schedule.
/// The loss is taken on float32 logits, as the mixed-precision rule asks. One micro-batch's loss
/// can be made infinite, to inject an Fp16 overflow.
/// </summary>
[Trainer]
public partial class PrecisionTrainer(TinyNet model, TrainingArguments args)
{
    private int _calls;

    /// <summary>Every micro-batch's loss.</summary>
    public List<float> Losses { get; } = [];

    /// <summary>The 0-based micro-batch whose loss is multiplied by +inf, or -1.</summary>
    public int PoisonedBatch { get; init; } = -1;

    /// <summary>The dtype the model's output had.</summary>
    public ScalarType? OutputDType { get; private set; }

    [Optimizer]
    Optimizer CreateOptimizer() => AdamW(model.parameters(), lr: args.LearningRate);

    [Scheduler]
    LRScheduler CreateScheduler(Optimizer optimizer, int trainingSteps) => Schedules.Linear(optimizer, args.WarmupSteps, trainingSteps);

    [TrainStep]
    Tensor Step(SampleBatch batch)
    {
        var logits = model.forward(batch.X);
        OutputDType = logits.dtype;
        var loss = nn.functional.cross_entropy(logits.to(ScalarType.Float32), batch.Y);
#pragma warning disable DSL101 // a host sync per step, on purpose: the tests compare every micro-batch loss
        Losses.Add(loss.item<float>());
#pragma warning restore DSL101
        if (_calls++ == PoisonedBatch) loss = loss.mul(float.PositiveInfinity);
        return loss;
    }
}
