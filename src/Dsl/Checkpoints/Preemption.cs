namespace Dsl.Checkpoints;

/// <summary>
/// What a training run does when it is asked to stop (SIGTERM from a scheduler that preempts the job or reaches
/// its time limit, or SIGINT from Ctrl-C): the step in progress finishes, every rank agrees on the same last
/// step, rank 0 saves <c>checkpoint-{step}</c>, and every process exits with <see cref="ExitCode"/>. A second
/// signal of the same kind ends the process at once. <c>resumeFromCheckpoint: "last"</c> then continues exactly
/// (docs/distributed.md, "Preemption").
/// </summary>
public static class Preemption
{
    /// <summary>
    /// The exit code of a run that stopped on a signal after saving its checkpoint: 75, <c>EX_TEMPFAIL</c> of
    /// sysexits.h ("temporary failure; the user is invited to retry"), which a job script can test to requeue.
    /// </summary>
    public const int ExitCode = 75;
}
