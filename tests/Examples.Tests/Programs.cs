using System.Diagnostics;

namespace Examples.Tests;

/// <summary>Runs an example's built program as a user does: <c>dotnet X.dll args</c>, with its output.</summary>
internal static class Programs
{
    /// <summary>Runs <paramref name="program"/> (a dll beside the tests) and returns its exit code and stdout + stderr.</summary>
    public static (int ExitCode, string Output) Run(string program, int timeoutSeconds, params string[] args) =>
        Run(program, timeoutSeconds, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Run(string, int, string[])"/>, with <paramref name="environment"/> added to the program's environment.</summary>
    public static (int ExitCode, string Output) Run(string program, int timeoutSeconds, IReadOnlyDictionary<string, string> environment,
        params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(timeoutSeconds * 1000), $"{program} did not exit within {timeoutSeconds} s");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
