using System.Text.RegularExpressions;
using Dsl.Generators.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests;

/// <summary>Samples/AllDiagnostics.cs shows every diagnostic, and every ID has exactly one reporter.</summary>
public sealed partial class AllDiagnosticsTests
{
    [GeneratedRegex(@"//\s*((?:DSL\d{3}\s*,?\s*)+)$")]
    private static partial Regex TrailingIds();

    private static string Sample() =>
        File.ReadAllText(Path.Combine(DiagnosticTests.RepositoryRoot(), "tests", "Dsl.Generators.Tests", "Samples", "AllDiagnostics.cs"));

    // Dsl.Text's BertConfig, for DSL049 (the sample's compilation references only the runtime).
    private static string StandIns() =>
        File.ReadAllText(Path.Combine(DiagnosticTests.RepositoryRoot(), "tests", "Dsl.Generators.Tests", "Samples", "DslTextStandIns.cs"));

    [Fact]
    public void The_sample_reports_exactly_the_IDs_its_comments_name_on_their_lines()
    {
        string sample = Sample();
        var expected = sample.Replace("\r\n", "\n").Split('\n')
            .SelectMany((line, i) => TrailingIds().Match(line) is { Success: true } m
                ? m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(id => $"{i + 1}: {id}")
                : [])
            .Order().ToList();
        var (generator, analyzers, output) = AnalyzerHarness.Run(sample, StandIns());
        var actual = generator.AddRange(analyzers)
            .Select(d => $"{d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.Id}")
            .Order().ToList();
        Assert.Equal(expected, actual);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var shown = actual.Select(a => a.Split(": ")[1]).ToHashSet();
        var missing = DiagnosticTests.AllDescriptors().Select(d => d.Id).Where(id => !shown.Contains(id));
        Assert.Empty(missing);
    }

    [Fact]
    public void No_diagnostic_of_the_sample_is_located_in_generated_code_under_warnings_as_errors() =>
        GeneratedCode.AssertNothingInside(GeneratorHarness.Compile(Sample(), StandIns()));

    [Fact]
    public void Every_ID_is_reported_by_exactly_one_of_the_generator_and_the_analyzers()
    {
        var analyzerIds = AnalyzerHarness.All.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).ToList();
        Assert.Equal(analyzerIds.Count, analyzerIds.Distinct().Count());

        var (generator, analyzers, _) = AnalyzerHarness.Run(Sample(), StandIns());
        Assert.DoesNotContain(generator, d => analyzerIds.Contains(d.Id));
        var generatorIds = generator.Select(d => d.Id).ToHashSet();
        foreach (var descriptor in DiagnosticTests.AllDescriptors())
            Assert.True(generatorIds.Contains(descriptor.Id) ^ analyzerIds.Contains(descriptor.Id),
                $"{descriptor.Id}: generator {generatorIds.Contains(descriptor.Id)}, analyzer {analyzerIds.Contains(descriptor.Id)}");
    }

    [Fact]
    public void Every_analyzer_is_IDE_grade()
    {
        // Concurrent and blind to generated code, so the generated loop is never analyzed. (A suppressor registers
        // nothing: Roslyn calls it with the diagnostics it may suppress.)
        foreach (var analyzer in AnalyzerHarness.All.Where(a => a is not Microsoft.CodeAnalysis.Diagnostics.DiagnosticSuppressor))
        {
            var context = new RecordingContext();
            analyzer.Initialize(context);
            Assert.True(context.Concurrent, analyzer.GetType().Name);
            Assert.Equal(Microsoft.CodeAnalysis.Diagnostics.GeneratedCodeAnalysisFlags.None, context.GeneratedCode);
        }
    }
}
