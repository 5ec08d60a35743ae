using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;

namespace Dsl.Distributed.Tests.Launching;

/// <summary>
/// Runs tests/Dsl.Tests.MpiWorker as one process, under an MPI's mpirun on this host, or on namespaced hosts,
/// and reads what every rank wrote. A job that outlives its time limit is killed and fails the test.
/// </summary>
internal static class MpiJob
{
    /// <summary>The worker's .dll.</summary>
    public static string Worker => Metadata("MpiWorker");

    /// <summary>This project's source folder (Hosts/, Native/).</summary>
    public static string Sources => Metadata("TestSources");

    public sealed record Outcome(int ExitCode, string Output, TimeSpan Elapsed, string ResultDirectory)
    {
        public JsonObject Rank(int rank)
        {
            string path = Path.Combine(ResultDirectory, $"rank-{rank}.json");
            Assert.True(File.Exists(path), $"rank {rank} wrote no result (exit code {ExitCode}):\n{Output}");
            return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        }

        /// <summary>How often <paramref name="text"/> occurs in the job's output.</summary>
        public int Count(string text)
        {
            int count = 0;
            for (int at = Output.IndexOf(text, StringComparison.Ordinal); at >= 0; at = Output.IndexOf(text, at + text.Length, StringComparison.Ordinal))
                count++;
            return count;
        }
    }

    /// <summary>
    /// Runs the worker on <paramref name="ranks"/> ranks of <paramref name="mpi"/> on this host (1: a plain process,
    /// no launcher) with --result DIR added; <paramref name="environment"/> is added to the launcher's environment.
    /// </summary>
    public static Outcome Run(int ranks, string resultDirectory, string arguments, int timeoutSeconds = 300, Mpi mpi = Mpi.Mpich,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var command = ranks == 1 ? new List<string>() : Launchers.Command(mpi, ranks);
        return Start([.. command, .. WorkerCommand(resultDirectory, arguments)], timeoutSeconds, environment, resultDirectory);
    }

    /// <summary>Runs the worker on <paramref name="hosts"/> (each with <paramref name="ranksPerHost"/> ranks) under <paramref name="mpi"/>.</summary>
    public static Outcome RunOnHosts(NamespaceHosts hosts, Mpi mpi, int ranksPerHost, string resultDirectory, string arguments, int timeoutSeconds = 300) =>
        Start([.. hosts.Launch(mpi, ranksPerHost), .. WorkerCommand(resultDirectory, arguments)], timeoutSeconds, null, resultDirectory);

    /// <summary>The worker's command line: dotnet, the .dll, --result DIR and <paramref name="arguments"/> (split on spaces).</summary>
    public static List<string> WorkerCommand(string resultDirectory, string arguments)
    {
        Assert.True(File.Exists(Worker), $"The worker {Worker} was not built.");
        return ["dotnet", Worker, "--result", resultDirectory, .. arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>
    /// Runs <paramref name="command"/>, collecting its output; kills its process tree after <paramref name="timeoutSeconds"/>.
    /// <paramref name="onOutput"/>, if given, runs once (on another thread) with the launcher's process when a line
    /// of output contains its marker: a test signals the job mid-run with it.
    /// </summary>
    public static Outcome Start(IReadOnlyList<string> command, int timeoutSeconds, IReadOnlyDictionary<string, string>? environment,
        string resultDirectory, (string Marker, Action<Process> Act)? onOutput = null)
    {
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in command.Skip(1)) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;

        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        int fired = 0;
        void Line(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            if (onOutput is { } on && line.Contains(on.Marker, StringComparison.Ordinal) && Interlocked.Exchange(ref fired, 1) == 0)
                Task.Run(() => on.Act(process));
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"The job did not end within {timeoutSeconds} s (killed): {string.Join(' ', command)}\n{output}");
        }
        process.WaitForExit();   // drains the output
        return new Outcome(process.ExitCode, output.ToString(), clock.Elapsed, resultDirectory);
    }

    /// <summary>Runs a short command and returns its exit code and output (for the tools around the jobs).</summary>
    public static (int ExitCode, string Output) Tool(string file, params string[] arguments)
    {
        var outcome = Start([file, .. arguments], 120, null, "");
        return (outcome.ExitCode, outcome.Output);
    }

    /// <summary>Sends SIGTERM to <paramref name="process"/> (by its id, with kill(1)).</summary>
    public static void Terminate(Process process) => Tool("kill", "-TERM", Text(process.Id));

    /// <summary>A number for a command line.</summary>
    public static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Metadata(string key) => typeof(MpiJob).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == key).Value!;
}
