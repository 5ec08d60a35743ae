using Dsl;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.MpiWorker;

/// <summary>The default optimizer and schedule, an accuracy metric, and faults on purpose for the fault tests.</summary>
[Trainer]
public partial class WorkerTrainer(WorkerNet model, TrainingArguments args)
{
    /// <summary>On rank 1, exit abruptly (as a crash would) after this optimizer step.</summary>
    public int DieAtStep { get; init; } = -1;

    /// <summary>On rank 1, throw from the hook (an unhandled exception) after this optimizer step.</summary>
    public int ThrowAtStep { get; init; } = -1;

    /// <summary>On rank 1, stop answering (as a hang would) after this optimizer step.</summary>
    public int HangAtStep { get; init; } = -1;

    /// <summary>The step training started from (after a resume).</summary>
    public int FirstStep { get; private set; } = -1;

    private static bool IsRankOne => Environment.GetEnvironmentVariable("PMI_RANK") == "1";

    [TrainStep]
    StepOutput Step(WorkerBatch batch)
    {
        var logits = model.forward(batch.X);
        return new StepOutput(nn.functional.cross_entropy(logits, batch.Y), logits, batch.Y);
    }

    /// <summary>Evaluation returns logits and labels repeated along a second dimension whose length varies by batch (dynamic padding).</summary>
    public bool RaggedEval { get; init; }

    [EvalStep]
    StepOutput Validate(WorkerBatch batch)
    {
        var logits = model.forward(batch.X);
        var loss = nn.functional.cross_entropy(logits, batch.Y);
        if (!RaggedEval) return new StepOutput(loss, logits, batch.Y);
        long n = batch.Y.shape[0];
        long length = 1 + n % 3;   // from the batch's size: the same batch gets the same length on any rank
        return new StepOutput(loss, logits.unsqueeze(1).expand(n, length, 2).contiguous(), batch.Y.unsqueeze(1).expand(n, length).contiguous());
    }

    [Metric]
    double Accuracy(Tensor predictions, Tensor labels) =>
        predictions.argmax(-1).eq(labels).to(ScalarType.Float64).mean().item<double>();

    [OnStepEnd]
    void StepEnded(StepEndEvent e)
    {
        if (FirstStep < 0) FirstStep = e.GlobalStep - 1;
        if (e.GlobalStep == DieAtStep && IsRankOne)
        {
            Console.Error.WriteLine($"rank 1: dying on purpose after step {e.GlobalStep}");
            Environment.Exit(3);
        }
        if (e.GlobalStep == ThrowAtStep && IsRankOne)
            throw new InvalidOperationException($"rank 1: a bug on purpose after step {e.GlobalStep}");
        if (e.GlobalStep == HangAtStep && IsRankOne)
        {
            Console.Error.WriteLine($"rank 1: hanging on purpose after step {e.GlobalStep}");
            Thread.Sleep(Timeout.Infinite);
        }
    }
}
