using System.Runtime.InteropServices;

namespace Dsl.Threading;

/// <summary>
/// The OpenMP setting the runtime chooses before libtorch starts: worker threads that sleep while
/// they wait (<c>OMP_WAIT_POLICY=PASSIVE</c>) instead of spinning.
/// </summary>
/// <remarks>
/// <para>libtorch's CPU kernels run on GNU OpenMP, whose idle workers by default spin for a while
/// before they sleep. On a machine whose cores are busy with other work, a spinning worker takes a
/// core the thread doing the work needs, and a BERT step ran 4–20× slower (docs/benchmarks.md,
/// "A busy machine"); with sleeping workers it ran at the speed of the CPU share left to it.</para>
/// <para>OpenMP reads its environment once, when libtorch is loaded, and on Unix .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> changes only the managed copy of
/// the environment, so this sets the native one (<c>setenv</c>) at start-up (<see cref="LibTorchStartup"/>: the
/// module initializer generated into an assembly with a training loop, else when Dsl or Dsl.Text is first used).
/// A value the user set is kept: <c>OMP_WAIT_POLICY=ACTIVE</c> restores spinning, and
/// <c>DSL_THREADING_DEFAULTS=0</c> leaves the environment alone. A program without a generated loop that calls
/// TorchSharp before anything of Dsl should set <c>OMP_WAIT_POLICY=PASSIVE</c> itself (or call
/// <see cref="LibTorchStartup.Apply"/> first).</para>
/// </remarks>
public static class ThreadingDefaults
{
    /// <summary>The variable and the value set when the user has not set it.</summary>
    public const string WaitPolicy = "OMP_WAIT_POLICY", WaitPolicyDefault = "PASSIVE";

    /// <summary>Set to <c>0</c> to keep the runtime from setting any threading variable, <c>1</c> to set them outside the validated TorchSharp and libtorch versions.</summary>
    public const string OptOut = "DSL_THREADING_DEFAULTS";

    private static int _applied;

    /// <summary>
    /// Sets the defaults in the process's native environment unless the user set them (idempotent).
    /// Effective only before libtorch is loaded.
    /// </summary>
    public static void Apply()
    {
        if (Interlocked.Exchange(ref _applied, 1) == 1) return;
        Apply(NativeGet, NativeSet);
    }

    /// <summary>The decision, with the environment passed in (tests).</summary>
    internal static void Apply(Func<string, string?> get, Action<string, string> set)
    {
        if (get(OptOut) == "0") return;
        if (string.IsNullOrEmpty(get(WaitPolicy))) set(WaitPolicy, WaitPolicyDefault);
    }

    internal static string? NativeGet(string name)
    {
        if (OperatingSystem.IsWindows()) return Environment.GetEnvironmentVariable(name);
        nint value = getenv(name);
        return value == 0 ? null : Marshal.PtrToStringUTF8(value);
    }

    private static void NativeSet(string name, string value)
    {
        // Both copies: the managed one for .NET code, the native one for libgomp inside libtorch.
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows()) _ = setenv(name, value, 0);
    }

#pragma warning disable SYSLIB1054 // DllImport keeps this file free of unsafe code
    [DllImport("libc")]
    private static extern nint getenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [DllImport("libc")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
#pragma warning restore SYSLIB1054
}
