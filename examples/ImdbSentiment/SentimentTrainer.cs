using Dsl;
using Dsl.Text.Data;
using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace ImdbSentiment;

/// <summary>
/// The tutorial's CustomTrainer in C#: AdamW (or SGD), a linear schedule with no warmup (or another),
/// the loss of each batch, accuracy, and "Step N: Loss = x" at every log. The generator writes Train,
/// Evaluate and Predict from these members; open obj/Generated/... to read the loop.
/// </summary>
[Trainer]
public partial class SentimentTrainer(BertForSequenceClassification model, TrainingArguments args, Settings settings)
{
    // Only what trains: with --lora the base weights are frozen, and TorchSharp's optimizers keep state for every parameter given.
    [Optimizer]
    Optimizer CreateOptimizer() => settings.Optimizer == "sgd"
        ? SGD(model.parameters().Where(p => p.requires_grad), learningRate: args.LearningRate, momentum: 0.9, weight_decay: args.WeightDecay)
        : AdamW(model.parameters().Where(p => p.requires_grad), lr: args.LearningRate, weight_decay: args.WeightDecay);

    [Scheduler]
    LRScheduler CreateScheduler(Optimizer optimizer, int trainingSteps) => settings.Scheduler switch
    {
        // PyTorch's own cosine annealing, to show a [Scheduler] may return any LRScheduler.
        "cosine_annealing" => CosineAnnealingLR(optimizer, T_max: trainingSteps),
        var name => Schedules.Create(Enum.Parse<SchedulerType>(name.Replace("_", ""), ignoreCase: true),
            optimizer, args.WarmupSteps, trainingSteps),
    };

    /// <summary>With --tutorial: prints what the tutorial's own train() prints (null: the DSL's log lines).</summary>
    public TutorialOutput? Tutorial { get; init; }

    [TrainStep]
    Tensor Step(TextBatch batch)
    {
        var loss = model.forward(batch).Loss!;
        Tutorial?.OnBatch(loss);
        return loss;
    }

    [EvalStep]
    StepOutput Validate(TextBatch batch) => model.forward(batch);

    // In double, as HF's accuracy (scikit-learn's accuracy_score) computes it: 19 of 50 prints
    // 0.38, where a float32 mean widened to double would print 0.3799999952316284.
    [Metric]
    double Accuracy(Tensor predictions, Tensor labels) =>
        predictions.argmax(-1).eq(labels).to(ScalarType.Float64).mean().item<double>();

    [OnLog]
    void PrintLoss(LogEvent e)
    {
        if (Tutorial is null && e.Loss is { } loss) Console.WriteLine($"Step {e.Step}: Loss = {loss}");
    }

    [OnEpochBegin]
    void EpochBegins(EpochBeginEvent e) => Tutorial?.OnEpochBegin(e.Epoch);

    [OnStepEnd]
    void StepEnded(StepEndEvent e) => Tutorial?.OnStepEnd();

    // The evaluations during training print here; the Evaluate calls after it print their own
    // dictionaries (Program.cs), so this hook stays quiet then and each result prints once.
    bool _trainingEnded;

    [OnTrainEnd]
    void TrainingEnded(TrainEndEvent e) => _trainingEnded = true;

    [OnEvaluate]
    void PrintEvaluation(EvaluateEvent e)
    {
        if (_trainingEnded || Tutorial is not null) return;
        // The epoch as the printed dictionaries show it ({'epoch': 1.0}), so the two never disagree.
        Console.WriteLine($"Epoch {Metrics.Format("epoch", e.State.Epoch)}: {e.Metrics.Prefix}_loss = {e.Metrics.Loss:0.####}, " +
                          $"{e.Metrics.Prefix}_accuracy = {e.Metrics.Metric("accuracy"):0.####}");
    }
}
