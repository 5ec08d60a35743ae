using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Quickstart;

/// <summary>
/// The whole trainer: the generator writes Train, Evaluate and Predict from these members
/// (open obj/Generated/.../Quickstart.MoonsTrainer.Trainer.g.cs to read the loop).
/// </summary>
[Trainer]
public partial class MoonsTrainer(MoonsClassifier model, TrainingArguments args)
{
    [Optimizer]
    Optimizer CreateOptimizer() => SGD(model.parameters(), learningRate: args.LearningRate, momentum: 0.9);

    [Scheduler]
    LRScheduler CreateScheduler(Optimizer optimizer, int trainingSteps) =>
        Schedules.Cosine(optimizer, warmupSteps: trainingSteps / 10, trainingSteps);

    [TrainStep]
    Tensor Step(PointBatch batch) => nn.functional.cross_entropy(model.forward(batch.Features), batch.Labels);

    [EvalStep]
    StepOutput Validate(PointBatch batch)
    {
        var logits = model.forward(batch.Features);
        return new StepOutput(nn.functional.cross_entropy(logits, batch.Labels), logits, batch.Labels);
    }

    [Metric]
    double Accuracy(Tensor predictions, Tensor labels) =>
        predictions.argmax(-1).eq(labels).to(ScalarType.Float32).mean().item<float>();

    [OnLog]
    void PrintLoss(LogEvent e)
    {
        if (e.Loss is { } loss) Console.WriteLine($"Step {e.Step}: Loss = {loss}");
    }
}
