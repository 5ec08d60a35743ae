using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Dsl.Distributed;

namespace Dsl.Checkpoints;

/// <summary>
/// The signals that stop a training run, caught while it runs (<see cref="Preemption"/>). The signal handler only
/// records the request; the loop reads it once per optimizer step. Alone, a run stops after the step in which
/// it was signalled. In a data-parallel run the signals reach the ranks at different moments (one host
/// preempted, or a launcher forwarding them one by one), so a rank's request travels in the next gradient
/// averaging (<see cref="DataParallel.AverageGradients(bool)"/>) and every rank stops after the step in which
/// the sum says that any rank asked: the same step everywhere, at no extra collective.
/// </summary>
internal sealed class PreemptionWatch : IDisposable
{
    private PosixSignalRegistration[] _registrations = [];
    private int _signal;      // the first signal (a PosixSignal, negative), 0 until one arrives
    private bool _agreed;

    /// <summary>
    /// Starts catching SIGTERM and SIGINT (when training starts, not before: a run that fails to start must not
    /// leave the signals caught); <see cref="Dispose"/> gives them back their default action.
    /// </summary>
    public void Start()
    {
        if (_registrations.Length > 0) return;
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal)];
    }

    /// <summary>Whether this process was signalled.</summary>
    public bool Requested => Volatile.Read(ref _signal) != 0;

    /// <summary>The signal's name (SIGTERM or SIGINT), for the message.</summary>
    public string Signal => ((PosixSignal)Volatile.Read(ref _signal)).ToString();

    /// <summary>Takes what the ranks agreed in a gradient averaging: whether any of them was signalled.</summary>
    public void Agree(bool anyRank) => _agreed |= anyRank;

    /// <summary>
    /// Whether the run stops after the optimizer step that just ended: alone, once this process was signalled;
    /// data-parallel, once the ranks agreed (never on one rank's own signal, which the others may not have seen).
    /// </summary>
    public bool StopsAfterStep(bool dataParallel) => dataParallel ? _agreed : Requested;

    /// <summary>
    /// Ends the process after the checkpoint: the main process says which signal stopped which step where,
    /// and every rank exits with <see cref="Preemption.ExitCode"/> (the MPI engine finalizes instead of aborting).
    /// </summary>
    [DoesNotReturn]
    public void Exit(int step, string? checkpoint, ProcessGroup? group)
    {
        if (group is null || group.IsMain)
        {
            string saved = checkpoint is null ? "no checkpoint was saved" : "saved " + checkpoint;
            Console.Out.Flush();
            Console.Error.WriteLine(
                $"Training stopped by {(Requested ? Signal : "a signal to another rank")} after step {step}: {saved}. " +
                $"Exiting with code {Preemption.ExitCode}; resume with resumeFromCheckpoint: \"last\".");
            Console.Error.Flush();
        }
        // Every rank leaves together, after the message: a launcher that ends the job when its first rank exits non-zero
        // (Open MPI's mpirun) must not cut rank 0 short.
        group?.Barrier("the end of a preempted run");
        group?.EndTogether();
        System.Environment.Exit(Preemption.ExitCode);
        throw new UnreachableException();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _registrations = [];
    }

    // The first signal cancels the default action (the process ending at once) and is remembered; a second one of
    // either kind is not cancelled, so Ctrl-C twice still stops a run that is slow to reach its step's end.
    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.CompareExchange(ref _signal, (int)context.Signal, 0) == 0) context.Cancel = true;
    }
}
