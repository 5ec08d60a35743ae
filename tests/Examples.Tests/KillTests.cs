using Xunit.Abstractions;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Examples.Tests;

/// <summary>
/// The crash-safety guarantee in CI (issue 12, section 2): the example trainer, run in a child process,
/// is killed with SIGKILL at seeded moments (after a random delay, as a checkpoint is being written, as
/// rotation deletes an old one), resumed with <c>--resume last</c> until it finishes, and its final
/// weights are byte-identical to an uninterrupted run's. CI kills 3 times; <c>DSL_KILL_TEST_KILLS=50</c>
/// runs the documented long run (docs/reliability.md).
/// </summary>
public sealed class KillTests(ITestOutputHelper log) : IDisposable
{
    private static readonly int Kills = int.TryParse(Environment.GetEnvironmentVariable("DSL_KILL_TEST_KILLS"), out int k) && k >= 0 ? k : 3;
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("DSL_KILL_TEST_SEED"), out int s) ? s : 12;

    private readonly string _temp = Path.Combine(Path.GetTempPath(), "imdb-kill-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_temp)) Directory.Delete(_temp, recursive: true);
    }

    // 32 examples in batches of 8 for 3 epochs: 12 steps, a checkpoint each epoch, at most 2 kept.
    private static List<string> Arguments(string output, bool resume) =>
    [
        "--train-size", "32", "--eval-size", "8", "--batch-size", "8", "--epochs", "3", "--no-progress",
        "--output", output, "--logging-dir", Path.Combine(output, "logs"), .. resume ? new[] { "--resume", "last" } : [],
    ];

    private sealed class Child : IDisposable
    {
        private readonly StringBuilder _output = new();
        public Process Process { get; }

        public Child(IEnumerable<string> args)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ImdbSentiment.dll"));
            foreach (string arg in args) start.ArgumentList.Add(arg);
            Process = Process.Start(start)!;
            Process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            Process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public string Output { get { lock (_output) return _output.ToString(); } }

        public void Dispose() => Process.Dispose();
    }

    private static string Hash(string output) =>
        Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(output, "model", "model.safetensors"))));

    [Fact]
    public void Killed_at_seeded_moments_and_resumed_the_run_ends_with_the_uninterrupted_weights()
    {
        string whole = Path.Combine(_temp, "whole");
        using (var child = new Child(Arguments(whole, resume: false)))
        {
            Assert.True(child.Process.WaitForExit(300_000), "the uninterrupted run did not finish");
            Assert.True(child.Process.ExitCode == 0, child.Output);
        }
        string expected = Hash(whole);

        // Rounds: each trains into a fresh folder until it finishes, killed along the way, until
        // all the kills are spent; every round must end with the uninterrupted run's weights.
        var random = new Random(Seed);
        var history = new List<string>();
        int kills = 0;
        for (int round = 0; kills < Kills || round == 0; round++)
        {
            string killed = Path.Combine(_temp, $"killed-{round}");
            Directory.CreateDirectory(killed);
            int killsBefore = kills;
            for (int attempt = 0; ; attempt++)
            {
                Assert.True(attempt <= 30, "the run never finished: " + string.Join("; ", history));
                bool resume = Directory.GetDirectories(killed, "checkpoint-*").Length > 0;
                using var child = new Child(Arguments(killed, resume));
                if (kills < Kills)
                {
                    // Mode 0: a random moment; 1: as a checkpoint is written; 2: as rotation deletes one.
                    int mode = kills % 3 == 0 ? 0 : random.Next(3);
                    string? moment = mode switch
                    {
                        1 => KillOn(child.Process, killed, "tmp-checkpoint-", random),
                        2 => KillOn(child.Process, killed, "deleting-checkpoint-", random),
                        _ => KillAfter(child.Process, random.Next(500, 8000)),
                    };
                    if (moment is not null)
                    {
                        kills++;
                        history.Add($"round {round}: {moment}");
                        continue;
                    }
                }
                Assert.True(child.Process.WaitForExit(300_000), "a resumed run did not finish");
                Assert.True(child.Process.ExitCode == 0, $"after {string.Join("; ", history)} the run failed:\n{child.Output}");
                break;
            }
            Assert.True(expected == Hash(killed), $"round {round}: the final weights differ after: " + string.Join("; ", history));
            Assert.Empty(Directory.GetDirectories(killed, "deleting-*"));
            log.WriteLine($"round {round}: {kills - killsBefore} kills, final weights identical");
            Directory.Delete(killed, recursive: true);
        }

        log.WriteLine($"{kills} kills (seed {Seed}): {string.Join("; ", history)}");
        Assert.Equal(Kills, kills);
    }

    // Kills after `delay` ms unless the process ends first; returns what was done, or null.
    private static string? KillAfter(Process process, int delay)
    {
        if (process.WaitForExit(delay)) return null;
        process.Kill(entireProcessTree: true);   // SIGKILL
        process.WaitForExit();
        return $"killed after {delay} ms";
    }

    // Kills as soon as a folder starting with `prefix` appears in `output` (plus 0-20 ms).
    private static string? KillOn(Process process, string output, string prefix, Random random)
    {
        using var seen = new ManualResetEventSlim();
        using var watcher = new FileSystemWatcher(output) { Filter = prefix + "*", EnableRaisingEvents = true };
        watcher.Created += (_, _) => seen.Set();
        watcher.Renamed += (_, _) => seen.Set();
        int extra = random.Next(0, 20);
        while (!seen.Wait(1))
            if (process.HasExited) return null;
        Thread.Sleep(extra);
        if (process.HasExited) return null;
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return $"killed {extra} ms after {prefix}*";
    }
}
