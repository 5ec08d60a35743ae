using System.Runtime.InteropServices;

namespace Dsl.Benchmarks;

/// <summary>
/// The process's CPU time with nanosecond resolution (clock_gettime), unlike
/// <see cref="System.Diagnostics.Process.TotalProcessorTime"/>, which Linux counts in 10 ms ticks.
/// CPU time is what a measurement needs on a shared machine: other processes' load stretches wall
/// time but not the cycles this process spends.
/// </summary>
public static partial class CpuTime
{
    private const int ProcessClock = 2;   // CLOCK_PROCESS_CPUTIME_ID

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>CPU time of all the process's threads so far, in milliseconds.</summary>
    public static double ProcessMilliseconds()
    {
        if (ClockGetTime(ProcessClock, out var t) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed.");
        return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
    }
}
