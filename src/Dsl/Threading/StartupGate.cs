using System.Text.RegularExpressions;

namespace Dsl.Threading;

/// <summary>The TorchSharp and libtorch versions a program runs on, as known before libtorch loads.</summary>
/// <param name="TorchSharp">TorchSharp's assembly version.</param>
/// <param name="LibTorch">The libtorch package's version from the program's deps.json, or null when it names none.</param>
internal readonly record struct InstalledTorch(Version? TorchSharp, string? LibTorch);

/// <summary>What start-up applies, and the one line it writes when a version gate keeps a setting off.</summary>
internal readonly record struct StartupDecision(bool Threading, bool Mkl, string? Log);

/// <summary>
/// Which start-up settings apply: each has a switch (<c>0</c> off, <c>1</c> on whatever the versions), and
/// otherwise applies only on the versions it was validated with, because each leans on how one libtorch build
/// behaves (its OpenMP runtime reading <c>OMP_WAIT_POLICY</c> when it loads; its MKL calling
/// <c>mkl_serv_intel_cpu_true</c> through its PLT).
/// </summary>
internal static partial class StartupGate
{
    /// <summary>The TorchSharp release (major.minor) the settings were validated with.</summary>
    public static readonly Version ValidatedTorchSharp = new(0, 107);

    /// <summary>The libtorch release (major.minor) the settings were validated with.</summary>
    public const string ValidatedLibTorch = "2.10";

    /// <summary>The decision for the switches' values (null: unset) on <paramref name="installed"/>.</summary>
    public static StartupDecision Decide(string? threadingSwitch, string? mklSwitch, InstalledTorch installed)
    {
        bool validated = IsValidated(installed);
        bool threading = threadingSwitch == "1" || (threadingSwitch != "0" && validated);
        bool mkl = mklSwitch == "1" || (mklSwitch != "0" && validated);
        var keptOff = new List<string>(2);
        if (!validated && threadingSwitch is not ("0" or "1")) keptOff.Add($"OpenMP's passive waiting ({ThreadingDefaults.OptOut}=1)");
        if (!validated && mklSwitch is not ("0" or "1")) keptOff.Add($"MKL's AMD kernels ({MklCpuDispatch.OptOut}=1)");
        string? log = keptOff.Count == 0 ? null
            : $"Dsl's start-up settings were validated with TorchSharp {ValidatedTorchSharp} and libtorch {ValidatedLibTorch}, and this " +
              $"program runs TorchSharp {Show(installed.TorchSharp?.ToString(3))} with libtorch {Show(installed.LibTorch)}, so they stay off: " +
              string.Join(" and ", keptOff) + " (set the variable in parentheses to apply one anyway).";
        return new StartupDecision(threading, mkl, log);
    }

    /// <summary>TorchSharp 0.107.x, with libtorch 2.10.x where the program names its libtorch package.</summary>
    public static bool IsValidated(InstalledTorch installed) =>
        installed.TorchSharp is { } version && version.Major == ValidatedTorchSharp.Major && version.Minor == ValidatedTorchSharp.Minor
        && (installed.LibTorch is null || installed.LibTorch == ValidatedLibTorch || installed.LibTorch.StartsWith(ValidatedLibTorch + ".", StringComparison.Ordinal));

    /// <summary>The versions this program runs on, read without loading libtorch.</summary>
    public static InstalledTorch Installed()
    {
        var torchSharp = typeof(TorchSharp.torch).Assembly.GetName().Version;   // the managed assembly only: no native code runs
        string? libTorch = null;
        // The host lists the program's deps.json and the framework's, separated by ';' on every platform.
        if (AppContext.GetData("APP_CONTEXT_DEPS_FILES") is string files)
            foreach (string file in files.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                try { libTorch ??= LibTorchIn(File.ReadAllText(file)); }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        return new InstalledTorch(torchSharp, libTorch);
    }

    /// <summary>The version of the first libtorch package a deps.json lists (<c>"libtorch-cpu-linux-x64/2.10.0"</c>), or null.</summary>
    internal static string? LibTorchIn(string depsJson) =>
        LibTorchPackage().Match(depsJson) is { Success: true } match ? match.Groups[1].Value : null;

    [GeneratedRegex("\"libtorch-[A-Za-z0-9.\\-]+/([0-9][0-9A-Za-z.\\-]*)\"")]
    private static partial Regex LibTorchPackage();

    /// <summary>Writes one start-up line to the standard error, as the runtime's other warnings.</summary>
    public static void Warn(string line) => Console.Error.WriteLine("Warning: " + line);

    /// <summary>Writes what start-up did, with <see cref="LibTorchStartup.LogVariable"/> set.</summary>
    public static void Trace(string line) => Console.Error.WriteLine("Dsl start-up: " + line);

    private static string Show(string? version) => version ?? "(unknown)";
}
