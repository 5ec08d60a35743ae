using System.Collections.Concurrent;
using TorchSharp;

namespace Dsl.Tests.Support;

/// <summary>
/// The live tensors of one test, counted on its own threads only: the thread that starts the count and every thread
/// that collates one of its batches (<see cref="SampleBatch.Collate"/> enlists it, and so may a test's stream).
/// TorchSharp keeps these counts per thread (<c>DisposeScopeManager.Statistics</c>), so a tensor another test left to
/// the finalizer, freed on the finalizer thread while this test runs, changes none of them, whereas the process-wide
/// <c>torch.Tensor.TotalCount</c> drops. Start one with <c>using var own = OwnTensors.Start();</c>.
/// </summary>
internal sealed class OwnTensors : IDisposable
{
    private static readonly AsyncLocal<OwnTensors?> CurrentCount = new();

    // Per thread: its counters (TorchSharp's object, updated by that thread), its name, and the count when it joined.
    private readonly ConcurrentDictionary<LifetimeStatistics, (string Name, long Start)> _threads = new(ReferenceEqualityComparer.Instance);

    private OwnTensors() { }

    /// <summary>The count the current test started, if any; it flows into the threads that test starts.</summary>
    public static OwnTensors? Current => CurrentCount.Value;

    /// <summary>Starts counting on the calling thread and makes the count <see cref="Current"/>.</summary>
    public static OwnTensors Start()
    {
        var count = new OwnTensors();
        CurrentCount.Value = count;
        count.EnlistThisThread("test thread");
        return count;
    }

    /// <summary>Adds the calling thread to the <see cref="Current"/> count (once); nothing when no count runs.</summary>
    public static void Enlist() => Current?.EnlistThisThread();

    private void EnlistThisThread(string? name = null)
    {
        var statistics = DisposeScopeManager.Statistics.TensorStatistics;
        name ??= Thread.CurrentThread.Name ?? $"thread {Environment.CurrentManagedThreadId}";
        _threads.TryAdd(statistics, (name, statistics.ThreadTotalLiveCount));
    }

    /// <summary>Tensors created and not yet freed by the enlisted threads since each joined (a tensor may be freed on another of them).</summary>
    public long Live
    {
        get
        {
            long live = 0;
            foreach (var (statistics, thread) in _threads) live += statistics.ThreadTotalLiveCount - thread.Start;
            return live;
        }
    }

    /// <summary>Each enlisted thread's change, e.g. <c>test thread +4, Dsl collate (stream) +6</c>, for failure messages.</summary>
    public string ByThread() => string.Join(", ", _threads
        .Select(t => (t.Value.Name, Change: t.Key.ThreadTotalLiveCount - t.Value.Start))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .Select(t => $"{t.Name} {t.Change:+0;-0;0}"));

    public void Dispose()
    {
        if (ReferenceEquals(CurrentCount.Value, this)) CurrentCount.Value = null;
    }
}
