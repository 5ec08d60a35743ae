using System.Diagnostics;

namespace Examples.Tests;

/// <summary>Runs an example's built program as a user does: <c>dotnet X.dll args</c>, with its output.</summary>
internal static class Programs
{
    /// <summary>Runs <paramref name="program"/> (a dll beside the tests) and returns its exit code and stdout + stderr.</summary>
    public static (int ExitCode, string Output) Run(string program, int timeoutSeconds, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(timeoutSeconds * 1000), $"{program} did not exit within {timeoutSeconds} s");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
