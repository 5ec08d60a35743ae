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

    /// <summary>On rank 1, SIGKILL itself inside the train step of this optimizer step: rank 0 is then left in the gradient averaging.</summary>
    public int KillInStep { get; init; } = -1;

    /// <summary>On rank 1, SIGKILL itself in the evaluation at this step: rank 0 is then left in the evaluation's gathering.</summary>
    public int KillInEvaluationAt { get; init; } = -1;

    /// <summary>On rank 0, after the checkpoint of this step is saved, fill the file system of OutputDir (a file beside it).</summary>
    public int FillDiskAfterSave { get; init; } = -1;

    /// <summary>The step training started from (after a resume).</summary>
    public int FirstStep { get; private set; } = -1;

    private static bool IsRankOne => Environment.GetEnvironmentVariable("PMI_RANK") == "1";

    // SIGKILL, as the kernel's OOM killer or a lost node ends a process: no handler, no flush, no exit code of its own.
    private static void KillSelf(string where)
    {
        Console.Error.WriteLine($"rank 1: killing itself (SIGKILL) {where}, on purpose");
        Console.Error.Flush();
        System.Diagnostics.Process.GetCurrentProcess().Kill();
        Thread.Sleep(Timeout.Infinite);
    }

    [TrainStep]
    StepOutput Step(WorkerBatch batch)
    {
        if (State.GlobalStep + 1 == KillInStep && IsRankOne) KillSelf($"in the train step of step {KillInStep}");
        var logits = model.forward(batch.X);
        return new StepOutput(nn.functional.cross_entropy(logits, batch.Y), logits, batch.Y);
    }

    /// <summary>Evaluation returns logits and labels repeated along a second dimension whose length varies by batch (dynamic padding).</summary>
    public bool RaggedEval { get; init; }

    [EvalStep]
    StepOutput Validate(WorkerBatch batch)
    {
        // Rank 0 evaluates its own batches meanwhile and is then left waiting in the gathering of the losses and logits.
        if (State.GlobalStep == KillInEvaluationAt && IsRankOne) KillSelf($"in the evaluation at step {KillInEvaluationAt}");
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

    [OnSave]
    void Saved(SaveEvent e)
    {
        if (e.State.GlobalStep != FillDiskAfterSave || !e.State.IsWorldProcessZero) return;
        // The whole file system of OutputDir, as another job's data would fill it; the test deletes the file to free it.
        string filler = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(args.OutputDir))!, ".filler");
        using var stream = new FileStream(filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        var chunk = new byte[4096];
        try { while (true) stream.Write(chunk); }
        catch (IOException full) when (full.HResult == 28) { Console.Error.WriteLine($"rank 0: filled the disk after saving step {e.State.GlobalStep}"); }
    }
}
