using Dsl;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.MpiWorker;

/// <summary>The default optimizer and schedule, an accuracy metric, and faults on purpose for the fault tests.</summary>
[Trainer]
public partial class WorkerTrainer(WorkerNet model, TrainingArguments args)
{
    /// <summary>Whether the faults below happen in this process.</summary>
    public bool IsFaultRank { get; init; }

    /// <summary>Exit with code 3 (Environment.Exit) after this optimizer step.</summary>
    public int DieAtStep { get; init; } = -1;

    /// <summary>Be killed with SIGKILL (as the kernel's OOM killer would) after this optimizer step.</summary>
    public int KillAtStep { get; init; } = -1;

    /// <summary>Send SIGTERM to this process (as a scheduler preempting the job would) after this optimizer step.</summary>
    public int TermAtStep { get; init; } = -1;

    /// <summary>Every rank says on stderr when it finished a step (so a test can signal the job mid-run).</summary>
    public bool Announce { get; init; }

    /// <summary>Time every rank waits at each step's end (so a signal lands in the middle of the run).</summary>
    public TimeSpan SleepPerStep { get; init; }

    /// <summary>Throw from the hook (an unhandled exception) after this optimizer step.</summary>
    public int ThrowAtStep { get; init; } = -1;

    /// <summary>Dereference null in the hook (a NullReferenceException, which MPI's signal handlers must not turn into a crash).</summary>
    public int NullAtStep { get; init; } = -1;

    /// <summary>Stop answering (as a hang would) after this optimizer step.</summary>
    public int HangAtStep { get; init; } = -1;

    /// <summary>The step training started from (after a resume).</summary>
    public int FirstStep { get; private set; } = -1;

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
        int rank = Dsl.Distributed.Launch.Current.Rank;
        if (Announce) Console.Error.WriteLine($"rank {rank} finished step {e.GlobalStep}");
        if (SleepPerStep > TimeSpan.Zero) Thread.Sleep(SleepPerStep);
        if (!IsFaultRank) return;
        if (e.GlobalStep == TermAtStep)
        {
            Console.Error.WriteLine($"rank {rank}: sending SIGTERM to itself after step {e.GlobalStep}");
            using var kill = System.Diagnostics.Process.Start("kill", ["-TERM", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
        if (e.GlobalStep == DieAtStep)
        {
            Console.Error.WriteLine($"rank {rank}: dying on purpose after step {e.GlobalStep}");
            Environment.Exit(3);
        }
        if (e.GlobalStep == KillAtStep)
        {
            Console.Error.WriteLine($"rank {rank} on {Environment.MachineName}: killing itself (SIGKILL) after step {e.GlobalStep}");
            Console.Error.Flush();
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        }
        if (e.GlobalStep == ThrowAtStep)
            throw new InvalidOperationException($"rank {rank}: a bug on purpose after step {e.GlobalStep}");
        if (e.GlobalStep == NullAtStep)
        {
            string? missing = Environment.GetEnvironmentVariable("DSL_WORKER_NEVER_SET");
            Console.WriteLine(missing!.Length);
        }
        if (e.GlobalStep == HangAtStep)
        {
            Console.Error.WriteLine($"rank {rank}: hanging on purpose after step {e.GlobalStep}");
            Thread.Sleep(Timeout.Infinite);
        }
    }
}
