using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;

namespace Dsl.Tests.Distributed;

/// <summary>
/// Runs tests/Dsl.Tests.MpiWorker as one process or under <c>mpirun.mpich -np N</c> and reads what
/// every rank wrote. A job that outlives its time limit is killed and fails the test.
/// </summary>
internal static class MpiJob
{
    /// <summary>The launcher: DSL_MPIRUN, or mpirun.mpich on PATH.</summary>
    public static string? Launcher { get; } = FindLauncher();

    /// <summary>Why the MPI tests cannot run here, or null when they can.</summary>
    public static string? MissingReason => Launcher is null
        ? "No MPI runtime: mpirun.mpich is not on PATH (apt-get install -y mpich libmpich-dev, as .ci/run does; or set DSL_MPIRUN)."
        : null;

    private static string Worker => typeof(MpiJob).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "MpiWorker").Value!;

    public sealed record Outcome(int ExitCode, string Output, TimeSpan Elapsed, string ResultDirectory)
    {
        public JsonObject Rank(int rank)
        {
            string path = Path.Combine(ResultDirectory, $"rank-{rank}.json");
            Assert.True(File.Exists(path), $"rank {rank} wrote no result (exit code {ExitCode}):\n{Output}");
            return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        }
    }

    /// <summary>Runs the worker on <paramref name="ranks"/> ranks (1: a plain process, no launcher) with --result DIR added.</summary>
    public static Outcome Run(int ranks, string resultDirectory, string arguments, int timeoutSeconds = 300)
    {
        Assert.True(File.Exists(Worker), $"The worker {Worker} was not built.");
        var start = ranks == 1
            ? new ProcessStartInfo("dotnet")
            : new ProcessStartInfo(Launcher ?? throw new InvalidOperationException(MissingReason));
        if (ranks > 1) { start.ArgumentList.Add("-np"); start.ArgumentList.Add(ranks.ToString()); start.ArgumentList.Add("dotnet"); }
        start.ArgumentList.Add(Worker);
        start.ArgumentList.Add("--result");
        start.ArgumentList.Add(resultDirectory);
        foreach (string a in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)) start.ArgumentList.Add(a);
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.UseShellExecute = false;

        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"The job did not end within {timeoutSeconds} s (killed):\n{output}");
        }
        process.WaitForExit();   // drains the output
        return new Outcome(process.ExitCode, output.ToString(), clock.Elapsed, resultDirectory);
    }

    private static string? FindLauncher()
    {
        string? configured = Environment.GetEnvironmentVariable("DSL_MPIRUN");
        if (!string.IsNullOrEmpty(configured)) return configured;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir, "mpirun.mpich");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>A fact that needs an MPI runtime: skipped, with the reason, where none exists.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiJob.MissingReason is { } reason) Skip = reason;
    }
}

/// <summary>A theory that needs an MPI runtime: skipped, with the reason, where none exists.</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (MpiJob.MissingReason is { } reason) Skip = reason;
    }
}
