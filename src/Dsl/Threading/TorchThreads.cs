namespace Dsl.Threading;

/// <summary>How many threads libtorch's CPU kernels use while a trainer runs (<see cref="TorchThreads.Policy"/>).</summary>
public enum ThreadPolicy
{
    /// <summary>The count libtorch has (its default is the physical cores; <c>OMP_NUM_THREADS</c> or <c>torch.set_num_threads</c> change it), for the whole run.</summary>
    Fixed,

    /// <summary>
    /// The cores other processes leave free, re-read every half second during training and evaluation: when they
    /// take cores, libtorch uses fewer threads (never fewer than one, never more than its count at the start), and
    /// the count goes back up when they leave. The count at the start is restored when the run ends.
    /// </summary>
    FollowFreeCores,
}

/// <summary>
/// The thread-count policy of trainers in this process. A parallel kernel waits for its slowest thread, so on a
/// machine whose cores other processes hold, each of libtorch's threads runs only part of the time and every
/// kernel waits for the one that is descheduled; fewer threads than cores then do the same work in less time.
/// </summary>
/// <remarks>
/// Set <see cref="Policy"/> before <c>Train</c> or <c>Evaluate</c>, or the environment variable
/// <c>DSL_TORCH_THREADS</c> (<c>fixed</c> or <c>follow-free-cores</c>) before the program starts.
/// Only the CPU is concerned: a run on an accelerator keeps the count. docs/benchmarks.md ("A busy machine")
/// has the measurements.
/// </remarks>
public static class TorchThreads
{
    /// <summary>The environment variable read for the default policy: <c>fixed</c> or <c>follow-free-cores</c>.</summary>
    public const string Variable = "DSL_TORCH_THREADS";

    /// <summary>The policy a run uses when <see cref="Variable"/> is not set.</summary>
    public const ThreadPolicy DefaultPolicy = ThreadPolicy.Fixed;

    private static ThreadPolicy? _policy;

    /// <summary>The policy runs started from now on use; by default from <see cref="Variable"/>, else <see cref="DefaultPolicy"/>.</summary>
    /// <exception cref="ArgumentException">(getter) <see cref="Variable"/> holds a value that names no policy.</exception>
    public static ThreadPolicy Policy
    {
        get => _policy ?? Parse(Environment.GetEnvironmentVariable(Variable));
        set => _policy = value;
    }

    /// <summary>The policy a value of <see cref="Variable"/> names (null or empty: <see cref="DefaultPolicy"/>).</summary>
    /// <exception cref="ArgumentException">The value names no policy.</exception>
    public static ThreadPolicy Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => DefaultPolicy,
        "fixed" => ThreadPolicy.Fixed,
        "follow-free-cores" or "followfreecores" => ThreadPolicy.FollowFreeCores,
        _ => throw new ArgumentException($"{Variable}='{value}' names no thread policy: use 'fixed' or 'follow-free-cores'."),
    };
}
