using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Generators.Tests.Support;

/// <summary>
/// A user must never have to read a *.g.cs file to learn what they did wrong: whatever they write, nothing the
/// compiler, the generator or the analyzers report may be located in generated code.
/// </summary>
internal static class GeneratedCode
{
    /// <summary>
    /// Compiles <paramref name="compilation"/> as a <c>TreatWarningsAsErrors</c> build with every warning wave on,
    /// runs the generator and the analyzers, and asserts that no diagnostic of any severity but hidden is located
    /// in a generated file. Returns every such diagnostic (on the user's code) for further checks.
    /// </summary>
    public static List<Diagnostic> AssertNothingInside(CSharpCompilation compilation)
    {
        var strict = compilation.WithOptions(compilation.Options
            .WithGeneralDiagnosticOption(ReportDiagnostic.Error)
            .WithWarningLevel(9999));
        var (generator, analyzers, output) = AnalyzerHarness.Run(strict);
        var all = output.GetDiagnostics().Concat(generator).Concat(analyzers)
            .Where(d => d.Severity != DiagnosticSeverity.Hidden).ToList();
        var inside = all.Where(d => IsGenerated(d.Location)).ToList();
        Assert.True(inside.Count == 0, "Diagnostics inside generated code:\n" + string.Join("\n", inside));
        return all;
    }

    public static bool IsGenerated(Location location) =>
        location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true;
}
