using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Dsl.Generators.Tests.Support;

/// <summary>Runs the generator and every analyzer of Dsl.Generators, as a build does.</summary>
internal static class AnalyzerHarness
{
    /// <summary>Every analyzer the generator assembly ships.</summary>
    public static readonly ImmutableArray<DiagnosticAnalyzer> All = typeof(TrainerGenerator).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t)
                    && t.GetCustomAttributes(typeof(DiagnosticAnalyzerAttribute), false).Length > 0)
        .OrderBy(t => t.Name)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    /// <summary>The analyzers' diagnostics; an analyzer that throws fails the test.</summary>
    public static ImmutableArray<Diagnostic> Analyze(Compilation compilation, ImmutableArray<DiagnosticAnalyzer>? analyzers = null,
        AnalyzerConfigOptionsProvider? buildOptions = null)
    {
        var failures = new ConcurrentBag<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            buildOptions is null ? new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty) : new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, buildOptions),
            onAnalyzerException: (e, _, _) => failures.Add(e),
            concurrentAnalysis: true, logAnalyzerExecutionTime: false);
        var diagnostics = compilation.WithAnalyzers(analyzers ?? All, options).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        if (!failures.IsEmpty) throw new AggregateException("An analyzer threw", failures);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return diagnostics;
    }

    /// <summary>
    /// The compiler's own diagnostics of <paramref name="output"/> as a build reports them: after the suppressors of
    /// Dsl.Generators (<see cref="Dsl.Generators.Analyzers.UnreadLoopParameterSuppressor"/>) have run.
    /// </summary>
    public static ImmutableArray<Diagnostic> CompilerDiagnostics(Compilation output)
    {
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: false);
        return output.WithAnalyzers(All, options).GetAllDiagnosticsAsync().GetAwaiter().GetResult()
            .Where(d => d.Descriptor.CustomTags.Contains(WellKnownDiagnosticTags.Compiler)).ToImmutableArray();
    }

    /// <summary>The generator's and the analyzers' diagnostics over <paramref name="compilation"/>, and the compilation with the generated code.</summary>
    /// <param name="buildOptions">The build's properties as analyzers see them (<c>build_property.*</c>); none when null.</param>
    public static (ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Analyzers, Compilation Output) Run(Compilation compilation,
        AnalyzerConfigOptionsProvider? buildOptions = null)
    {
        var driver = GeneratorHarness.Driver(buildOptions).RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var generator = driver.GetRunResult().Results.Single().Diagnostics;
        return (generator, Analyze(output, buildOptions: buildOptions), output);
    }

    public static (ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Analyzers, Compilation Output) Run(params string[] sources) =>
        Run(GeneratorHarness.Compile(sources));
}
