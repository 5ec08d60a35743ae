using Dsl.Generators.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests;

/// <summary>
/// Programs written from the user's side, one per file under Cases/. Each file's header comment says what
/// it expects; the expected diagnostics are marked in it as <c>{|DSL009:name|}</c> (no mark: nothing may be
/// reported), and each "// Message:" header line is text one reported message must contain. Every file compiles with Sources.Common (Net, Example, Batch in namespace Demo).
/// Whatever a case expects, no diagnostic of any severity may be located in generated code: a user must
/// never have to read a *.g.cs file to learn what they did wrong.
/// </summary>
public sealed class CaseTests
{
    private static string CasesFolder() =>
        Path.Combine(DiagnosticTests.RepositoryRoot(), "tests", "Dsl.Generators.Tests", "Cases");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(CasesFolder(), "*.cs").OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Fact]
    public void Every_case_states_its_expectation_in_a_header_comment()
    {
        var files = Directory.GetFiles(CasesFolder(), "*.cs");
        Assert.NotEmpty(files);
        foreach (var file in files)
            Assert.StartsWith("// Expect:", File.ReadAllText(file));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case(string name)
    {
        string markup = File.ReadAllText(Path.Combine(CasesFolder(), name));
        var compilation = GeneratorHarness.Compile(Markup.Parse(markup).Source, Sources.Common);

        // The marked diagnostics, exactly, on the user's lines.
        Markup.Verify(markup, compilation);

        // "// Message: text" header lines: the reported message says which part is wrong.
        var reported = AnalyzerHarness.Run(compilation);
        foreach (var text in HeaderValues(markup, "// Message: "))
        {
            var messages = reported.Generator.Concat(reported.Analyzers).Select(d => d.GetMessage()).ToList();
            Assert.True(messages.Any(m => m.Contains(text, StringComparison.Ordinal)),
                $"No message contains \"{text}\":\n" + string.Join("\n", messages));
        }

        // Nothing at all inside generated code: no error, no warning, no info.
        // (compiled as a TreatWarningsAsErrors build with every warning wave)
        GeneratedCode.AssertNothingInside(compilation);
        var (generator, analyzers, output) = reported;
        var all = output.GetDiagnostics().Concat(generator).Concat(analyzers)
            .Where(d => d.Severity != DiagnosticSeverity.Hidden).ToList();

        // One error per mistake: the compiler adds none of its own (no CS1061 at a call site of a trainer that was
        // not generated), unless the header names it ("// Compiler: CS0260").
        var allowed = HeaderValues(markup, "// Compiler: ");
        // Warnings count too: under TreatWarningsAsErrors a CS9113 ("Parameter 'args' is unread") beside the DSL's error
        // is a second error for one mistake.
        bool Counts(Diagnostic d) => d.Severity >= DiagnosticSeverity.Warning && !allowed.Contains(d.Id);
        var compilerProblems = output.GetDiagnostics().Any(Counts)
            ? AnalyzerHarness.CompilerDiagnostics(output).Where(Counts).ToList()   // as a build reports them: after the suppressors
            : [];
        Assert.True(compilerProblems.Count == 0, "Compiler errors or warnings besides the DSL's own:\n" + string.Join("\n", compilerProblems));

        // A case that expects nothing compiles clean with warnings as errors, and the trainer is generated.
        if (Markup.Parse(markup).Expected.Count == 0)
        {
            var problems = all.Where(d => d.Severity >= DiagnosticSeverity.Warning && !allowed.Contains(d.Id)).ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            Assert.Contains(output.SyntaxTrees, t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal));
        }
    }

    /// <summary>The values of the header comment's lines that start with <paramref name="prefix"/>.</summary>
    private static List<string> HeaderValues(string markup, string prefix) =>
        markup.Split('\n').TakeWhile(l => l.StartsWith("//", StringComparison.Ordinal))
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => l.Substring(prefix.Length).TrimEnd('\r')).ToList();
}
