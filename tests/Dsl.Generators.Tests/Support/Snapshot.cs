using System.Runtime.CompilerServices;

namespace Dsl.Generators.Tests.Support;

/// <summary>
/// Snapshot files of generated code: <c>Snapshots/NAME.verified.cs</c>. On a mismatch the actual text
/// goes to <c>NAME.received.cs</c> and the test fails; set DSL_ACCEPT_SNAPSHOTS=1 to accept it.
/// </summary>
internal static class Snapshot
{
    public static void Match(string actual, string name, [CallerFilePath] string caller = "")
    {
        string folder = Path.Combine(Path.GetDirectoryName(caller)!, "Snapshots");
        if (!Directory.Exists(folder)) folder = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(caller)!)!, "Snapshots");
        string verified = Path.Combine(folder, name + ".verified.cs");
        string received = Path.Combine(folder, name + ".received.cs");
        actual = actual.Replace("\r\n", "\n");

        if (Environment.GetEnvironmentVariable("DSL_ACCEPT_SNAPSHOTS") == "1")
        {
            File.WriteAllText(verified, actual);
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        string? expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"No snapshot {verified} yet; the output is in {received}. Review it, then run with DSL_ACCEPT_SNAPSHOTS=1."
            : $"The generated code differs from {verified}; see {received} (diff them; DSL_ACCEPT_SNAPSHOTS=1 accepts).");
    }
}
