using System.Runtime.CompilerServices;

namespace Dsl.Threading;

/// <summary>Who applied the start-up settings in this process.</summary>
internal enum LibTorchStartupSource
{
    /// <summary>Nobody (yet): no generated initializer ran, and the fallback was switched off or has not run.</summary>
    None,
    /// <summary>The module initializer the generator writes into an assembly with a generated loop: the one start-up path.</summary>
    GeneratedInitializer,
    /// <summary>Dsl's own fallback, because Dsl (or Dsl.Text) was used first by an assembly without a generated initializer.</summary>
    LibraryFallback,
    /// <summary>A call of <see cref="LibTorchStartup.Apply"/>.</summary>
    Explicit,
}

/// <summary>
/// What the runtime sets up before libtorch loads: <see cref="ThreadingDefaults"/> (OpenMP workers that
/// sleep while they wait) and <see cref="MklCpuDispatch"/> (MKL's fast kernels on AMD processors).
/// </summary>
/// <remarks>
/// <para><b>One path.</b> Both must be in place before libtorch loads, which in the usual program is the model's
/// constructor, before any trainer exists. So the generator writes a module initializer into every assembly with a
/// generated loop; it runs when that assembly loads, before any of its code. The MSBuild property
/// <c>&lt;DslLibTorchStartup&gt;false&lt;/DslLibTorchStartup&gt;</c> leaves it out and turns the settings off for the
/// program (it becomes the runtime switch <see cref="Switch"/> in the program's runtimeconfig.json).</para>
/// <para><b>The fallback.</b> A program without a generated loop (one that only uses Dsl.Text's BERT, say) still
/// gets the settings when it first uses Dsl or Dsl.Text, from their module initializers: they apply the same
/// settings only when no generated initializer ran (which sets <see cref="GeneratedSwitch"/> before it calls in).</para>
/// <para><b>Gates.</b> Both settings were validated with TorchSharp 0.107 and libtorch 2.10 (see
/// <see cref="StartupGate"/>): with other versions they stay off, with one line on the standard error saying so, unless
/// forced with <c>DSL_THREADING_DEFAULTS=1</c> or <c>DSL_MKL_CPU_DISPATCH=1</c>; <c>=0</c> turns either off.
/// Once libtorch is loaded, <see cref="CheckEffects"/> checks that MKL really took the override and says so when it
/// did not. <c>DSL_STARTUP_LOG=1</c> writes what start-up did, and who did it, to the standard error.</para>
/// </remarks>
public static class LibTorchStartup
{
    /// <summary>The runtime switch (runtimeconfig.json, from the MSBuild property <c>DslLibTorchStartup</c>): false turns every automatic start-up off.</summary>
    public const string Switch = "Dsl.LibTorchStartup";

    /// <summary>Set by the generated module initializer before it calls into Dsl, so that Dsl's own fallback stands down.</summary>
    public const string GeneratedSwitch = "Dsl.LibTorchStartup.Generated";

    /// <summary>Set to <c>1</c> to have start-up say on the standard error what it applied, who applied it, and whether MKL took it.</summary>
    public const string LogVariable = "DSL_STARTUP_LOG";

    private static readonly Lock Gate = new();
    private static int _effectsChecked;

    /// <summary>Who applied the settings in this process.</summary>
    internal static LibTorchStartupSource AppliedBy { get; private set; }

    /// <summary>
    /// Applies the settings (idempotent, within the version gates); effective only before libtorch is loaded. For a
    /// program that touches TorchSharp before anything of Dsl and has no generated loop.
    /// </summary>
    public static void Apply() => ApplyAs(LibTorchStartupSource.Explicit);

    /// <summary>The generated module initializer's path (through <c>Dsl.__Internals.GeneratedStartup</c>).</summary>
    internal static void ApplyFromGeneratedInitializer()
    {
        if (Enabled(AppContext.TryGetSwitch(Switch, out bool on) ? on : null)) ApplyFromInitializer(LibTorchStartupSource.GeneratedInitializer);
    }

#pragma warning disable CA2255 // A library's module initializer, on purpose: the fallback for programs without a generated one.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        bool generated = AppContext.TryGetSwitch(GeneratedSwitch, out bool ran) && ran;
        if (FallbackApplies(AppContext.TryGetSwitch(Switch, out bool on) ? on : null, generated))
            ApplyFromInitializer(LibTorchStartupSource.LibraryFallback);
    }

    private static void ApplyFromInitializer(LibTorchStartupSource source)
    {
        // A module initializer must never throw: every use of its assembly would fail. Without libc's
        // getenv/setenv (an unusual C library) the settings are simply not applied.
        try
        {
            ApplyAs(source);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or System.Runtime.InteropServices.MarshalDirectiveException)
        {
        }
    }

    /// <summary>The fallback runs unless the program switched start-up off, or a generated initializer is applying it.</summary>
    internal static bool FallbackApplies(bool? switchValue, bool generatedInitializerRan) => Enabled(switchValue) && !generatedInitializerRan;

    private static bool Enabled(bool? switchValue) => switchValue ?? true;

    private static void ApplyAs(LibTorchStartupSource source)
    {
        lock (Gate)
        {
            if (AppliedBy != LibTorchStartupSource.None) return;
            AppliedBy = source;
            var decision = StartupGate.Decide(ThreadingDefaults.NativeGet(ThreadingDefaults.OptOut),
                MklCpuDispatch.Applies ? ThreadingDefaults.NativeGet(MklCpuDispatch.OptOut) : "0", StartupGate.Installed());
            if (decision.Threading) ThreadingDefaults.Apply();
            if (decision.Mkl) MklCpuDispatch.Apply();
            if (decision.Log is { } line) StartupGate.Warn(line);
            if (Tracing)
                StartupGate.Trace($"applied by the {Describe(source)}: {ThreadingDefaults.WaitPolicy}={ThreadingDefaults.NativeGet(ThreadingDefaults.WaitPolicy) ?? "(unset)"}, " +
                    $"MKL's AMD override {(MklCpuDispatch.Loaded ? "loaded" : "not loaded")}.");
        }
    }

    /// <summary>
    /// Once libtorch is loaded: checks that what was applied took effect, and writes one line to the standard
    /// error when it did not (MKL still on its generic path). Runs its check once per process; every run calls it
    /// when it resolves its device.
    /// </summary>
    internal static void CheckEffects()
    {
        if (Volatile.Read(ref _effectsChecked) == 1 || !MklCpuDispatch.Loaded) return;
        var result = MklCpuDispatch.CheckEffect();
        if (result.Outcome == MklDispatchOutcome.LibTorchNotLoaded) return;   // too early: ask again at the next run
        if (Interlocked.Exchange(ref _effectsChecked, 1) == 1) return;
        if (result.Warning is { } line) StartupGate.Warn(line);
        else if (Tracing) StartupGate.Trace($"libtorch's MKL calls the override: {result.Outcome}.");
    }

    private static bool Tracing => ThreadingDefaults.NativeGet(LogVariable) == "1";

    private static string Describe(LibTorchStartupSource source) => source switch
    {
        LibTorchStartupSource.GeneratedInitializer => "generated module initializer",
        LibTorchStartupSource.LibraryFallback => "library fallback",
        _ => "explicit LibTorchStartup.Apply()",
    };
}
