using System.Globalization;

namespace Dsl.Memory;

/// <summary>
/// What this process may grow to: its resident memory now plus what the machine can still give it
/// (<c>/proc/meminfo</c>'s <c>MemAvailable</c>), or less when a cgroup's memory limit (v1 or v2) leaves
/// less room. Linux only; elsewhere unknown.
/// </summary>
public readonly record struct AvailableMemory(double ResidentBytes, double? AvailableBytes, string Source)
{
    /// <summary>The bytes this process may reach in total, or null when unknown.</summary>
    public double? LimitBytes => AvailableBytes is { } free ? ResidentBytes + free : null;

    /// <summary>Reads the machine's and the cgroup's memory.</summary>
    public static AvailableMemory Read() => Read("/");

    /// <summary>As <see cref="Read()"/>, with <c>/proc</c> and <c>/sys</c> under <paramref name="root"/> (tests give a folder of their own).</summary>
    internal static AvailableMemory Read(string root)
    {
        double resident = KeyedKilobytes(Path.Combine(root, "proc/self/status"), "VmRSS") ?? Environment.WorkingSet;
        double? machine = KeyedKilobytes(Path.Combine(root, "proc/meminfo"), "MemAvailable");
        double? cgroup = CgroupRoom(root);
        if (cgroup is { } room && (machine is null || room < machine))
            return new AvailableMemory(resident, Math.Max(0, room), "the cgroup's memory limit");
        return new AvailableMemory(resident, machine, machine is null ? "unknown" : "MemAvailable");
    }

    /// <summary>The room left under this process's cgroup memory limit, or null without one.</summary>
    private static double? CgroupRoom(string root)
    {
        foreach (string line in ReadLines(Path.Combine(root, "proc/self/cgroup")))
        {
            // v2: "0::/path"; v1: "N:memory:/path" (the controller list may hold several).
            string[] parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            if (parts[0] == "0" && parts[1].Length == 0)
            {
                string dir = Path.Combine(root, "sys/fs/cgroup" + parts[2]);
                if (Number(Path.Combine(dir, "memory.max")) is { } max && Number(Path.Combine(dir, "memory.current")) is { } current)
                    return max - current + (StatBytes(Path.Combine(dir, "memory.stat"), "inactive_file") ?? 0);
            }
            else if (parts[1].Split(',').Contains("memory"))
            {
                string dir = Path.Combine(root, "sys/fs/cgroup/memory" + parts[2]);
                // v1 reports "no limit" as a huge number (a page-rounded long.MaxValue).
                if (Number(Path.Combine(dir, "memory.limit_in_bytes")) is { } limit && limit < 1L << 60
                    && Number(Path.Combine(dir, "memory.usage_in_bytes")) is { } usage)
                    return limit - usage + (StatBytes(Path.Combine(dir, "memory.stat"), "total_inactive_file") ?? 0);
            }
        }
        return null;
    }

    private static double? KeyedKilobytes(string path, string key)
    {
        foreach (string line in ReadLines(path))
            if (line.StartsWith(key + ":", StringComparison.Ordinal)
                && double.TryParse(line[(key.Length + 1)..].Replace("kB", "", StringComparison.Ordinal).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double kb))
                return kb * 1024;
        return null;
    }

    private static double? StatBytes(string path, string key)
    {
        foreach (string line in ReadLines(path))
            if (line.StartsWith(key + " ", StringComparison.Ordinal)
                && double.TryParse(line[(key.Length + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                return value;
        return null;
    }

    private static double? Number(string path)
    {
        string text = ReadLines(path).FirstOrDefault()?.Trim() ?? "";
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : null;   // "max": no limit
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try { return File.Exists(path) ? File.ReadAllLines(path) : []; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }
}
