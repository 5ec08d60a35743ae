using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace MyTrainer;

/// <summary>
/// The whole trainer: the source generator writes Train, Evaluate and Predict from these members
/// (after a build, read the loop in obj/Generated/Dsl.Generators/.../MyTrainer.PointTrainer.Trainer.g.cs).
/// Leave out [Optimizer] or [Scheduler] to get Hugging Face's defaults (AdamW, linear decay).
/// </summary>
[Trainer]
public partial class PointTrainer(PointClassifier model, TrainingArguments args)
{
    [Optimizer]
    Optimizer CreateOptimizer() => SGD(model.parameters(), learningRate: args.LearningRate, momentum: 0.9);

    [Scheduler]
    LRScheduler CreateScheduler(Optimizer optimizer, int trainingSteps) =>
        Schedules.Linear(optimizer, warmupSteps: 0, trainingSteps);

    // The loss of one batch; the generated loop does backward, clipping, the optimizer and the schedule.
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
        predictions.argmax(-1).eq(labels).to(ScalarType.Float64).mean().item<double>();
}
