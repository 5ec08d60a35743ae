using System.Diagnostics;
using System.Globalization;
using TorchSharp;

namespace Dsl.Threading;

/// <summary>
/// <see cref="ThreadPolicy.FollowFreeCores"/> for one run: every half second (checked at each step and
/// evaluation batch) it reads how much CPU time the machine spent outside this process (<c>/proc/stat</c>
/// less <c>/proc/self/stat</c>) and sets libtorch's thread count to the cores left free. Restores the
/// count it found when disposed. One at a time per process: an evaluation inside a training run uses the
/// training run's.
/// </summary>
internal sealed class FreeCoreThreads : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(0.5);
    private static FreeCoreThreads? _active;

    private readonly int _max;
    private readonly int _cores;
    private readonly Func<CpuSample?> _read;
    private readonly Action<int> _set;
    private readonly TimeSpan _interval;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private CpuSample _last;
    private int _current;

    internal FreeCoreThreads(int max, int cores, Func<CpuSample?> read, Action<int> set, CpuSample first, TimeSpan interval)
    {
        (_max, _cores, _read, _set, _last, _current, _interval) = (max, cores, read, set, first, max, interval);
    }

    /// <summary>The thread count now.</summary>
    public int Current => _current;

    /// <summary>
    /// Starts following the free cores for a run on <paramref name="device"/>, or null when the policy is
    /// <see cref="ThreadPolicy.Fixed"/>, the device is not the CPU, libtorch has one thread, another run is
    /// already following, or the machine's CPU times cannot be read (not Linux).
    /// </summary>
    public static FreeCoreThreads? Start(torch.Device device)
    {
        if (_active is not null || device.type != DeviceType.CPU || TorchThreads.Policy != ThreadPolicy.FollowFreeCores) return null;
        int max = torch.get_num_threads();
        if (max <= 1 || CpuSample.Read() is not { } first) return null;
        return _active = new FreeCoreThreads(max, Environment.ProcessorCount, CpuSample.Read, torch.set_num_threads, first, Interval);
    }

    /// <summary>The running follower's <see cref="Tick"/>, if one runs (evaluation batches call this).</summary>
    public static void TickActive() => _active?.Tick();

    /// <summary>Re-reads the free cores when half a second has passed since the last reading, and sets the thread count.</summary>
    public void Tick()
    {
        if (_clock.Elapsed < _interval) return;
        _clock.Restart();
        if (_read() is not { } now) return;
        int threads = ThreadCountRule.Next(_last, now, _cores, _current, _max);
        _last = now;
        if (threads == _current) return;
        _current = threads;
        _set(threads);
    }

    /// <summary>Puts back the thread count found at the start.</summary>
    public void Dispose()
    {
        if (_current != _max) _set(_max);
        _current = _max;
        if (ReferenceEquals(_active, this)) _active = null;
    }
}

/// <summary>The rule: the threads the cores left free by other processes allow, with a margin so the count does not flap.</summary>
internal static class ThreadCountRule
{
    /// <summary>
    /// The thread count after the interval from <paramref name="before"/> to <paramref name="after"/>: down to
    /// the free cores, rounded, once others hold more than half a core of those this run's threads would use
    /// (a thread that still has most of a core does more good than harm); back up one thread at a time when
    /// at least three quarters of a core more is free.
    /// </summary>
    public static int Next(CpuSample before, CpuSample after, int cores, int current, int max)
    {
        long total = after.Total - before.Total;
        if (total <= 0) return current;
        long others = Math.Max(0, after.Busy - before.Busy - (after.Own - before.Own));
        double free = cores - (double)others / total * cores;
        int next = current;
        if (free < current - 0.5) next = (int)Math.Floor(free + 0.5);
        else if (free >= current + 0.75) next = current + 1;
        return Math.Clamp(next, 1, max);
    }
}

/// <summary>
/// Cumulative CPU times in clock ticks: <see cref="Busy"/> and <see cref="Total"/> over all cores of the
/// machine (<c>/proc/stat</c>; busy is all but idle and I/O wait, steal included), <see cref="Own"/> this
/// process's user and system time (<c>/proc/self/stat</c>).
/// </summary>
internal readonly record struct CpuSample(long Busy, long Total, long Own)
{
    /// <summary>Now, or null where the files are missing or unreadable.</summary>
    public static CpuSample? Read()
    {
        try
        {
            return Parse(File.ReadLines("/proc/stat").First(), File.ReadAllText("/proc/self/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>From <c>/proc/stat</c>'s first line and <c>/proc/self/stat</c>.</summary>
    /// <exception cref="FormatException">Either is not in the kernel's format.</exception>
    public static CpuSample Parse(string statCpuLine, string selfStat)
    {
        var fields = statCpuLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5 || fields[0] != "cpu") throw new FormatException($"Not /proc/stat's cpu line: '{statCpuLine}'.");
        // user nice system idle iowait irq softirq steal (guest time is already inside user)
        long[] ticks = fields.Skip(1).Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        long total = ticks.Sum();
        long idle = ticks[3] + (ticks.Length > 4 ? ticks[4] : 0);
        // The command name may hold spaces or parentheses: fields are counted after the last ')'.
        int end = selfStat.LastIndexOf(')');
        if (end < 0) throw new FormatException("Not /proc/self/stat.");
        var rest = selfStat[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length < 13) throw new FormatException("Not /proc/self/stat.");
        // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
        long own = long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
        return new CpuSample(total - idle, total, own);
    }
}
