using System.Collections.Immutable;
using Dsl.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generators.Tests.Support;

/// <summary>
/// Applies a code fix as the IDE does (a workspace, the fix's code action and its post-processing:
/// simplification and formatting) and checks the result: the expected text, the diagnostic gone,
/// and the fixed code compiling with the generator's output.
/// </summary>
internal static class CodeFixHarness
{
    private static readonly ImmutableArray<CodeFixProvider> Providers = typeof(MakePartialCodeFix).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    /// <summary>The fixes that the IDE offers for the first <paramref name="id"/> diagnostic in the marked source.</summary>
    public static IReadOnlyList<CodeAction> Offered(string markup, string id, params string[] otherSources) =>
        OfferedAsync(Markup.Parse(markup).Source, id, 0, otherSources).GetAwaiter().GetResult().Actions;

    /// <summary>
    /// Asserts the marked diagnostics, applies the fix whose title contains <paramref name="title"/>
    /// (or the only one) to the <paramref name="id"/> diagnostic number <paramref name="occurrence"/> (from 0, in
    /// source order), and compares with <paramref name="expected"/>.
    /// </summary>
    public static void Verify(string markup, string id, string expected, string? title = null, bool mustCompile = true,
        int occurrence = 0, params string[] otherSources)
    {
        Markup.Verify(markup, otherSources);
        var (source, marked) = Markup.Parse(markup);
        int before = marked.Count(m => m.Id == id);
        var (document, actions) = OfferedAsync(source, id, occurrence, otherSources).GetAwaiter().GetResult();
        Assert.NotEmpty(actions);
        var action = title is null ? Assert.Single(actions) : Assert.Single(actions, a => a.Title.Contains(title, StringComparison.Ordinal));
        var operations = action.GetOperationsAsync(CancellationToken.None).GetAwaiter().GetResult();
        var changed = Assert.Single(operations.OfType<ApplyChangesOperation>()).ChangedSolution;
        string actual = changed.GetDocument(document.Id)!.GetTextAsync().GetAwaiter().GetResult().ToString();
        Assert.Equal(expected.Replace("\r\n", "\n"), actual.Replace("\r\n", "\n"));

        var (generator, analyzers, output) = AnalyzerHarness.Run([actual, .. otherSources]);
        int after = generator.AddRange(analyzers).Count(d => d.Id == id && d.Location.GetLineSpan().Path == "Source0.cs");
        Assert.True(after < before, $"{id} is still reported {after} time(s) after the fix");
        if (mustCompile)
            Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    /// <summary>
    /// Fix All in Document, as the IDE runs it: the provider's FixAllProvider over every <paramref name="id"/>
    /// diagnostic of the marked source, with the equivalence key of the fix offered for the first. Compares with
    /// <paramref name="expected"/> and checks that no <paramref name="id"/> is left.
    /// </summary>
    public static void VerifyFixAll(string markup, string id, string expected, params string[] otherSources)
    {
        Markup.Verify(markup, otherSources);
        var (source, _) = Markup.Parse(markup);
        var (document, actions) = OfferedAsync(source, id, 0, otherSources).GetAwaiter().GetResult();
        var first = actions[0];   // the first offered (for DSL014, the first module in source order)
        var provider = Providers.Single(p => p.FixableDiagnosticIds.Contains(id));
        var fixAll = provider.GetFixAllProvider();
        Assert.NotNull(fixAll);
        var diagnostics = AnalyzerHarness.Analyze(document.Project.GetCompilationAsync().GetAwaiter().GetResult()!)
            .Where(d => d.Id == id && d.Location.SourceTree?.FilePath == "Source0.cs").ToImmutableArray();
        var context = new FixAllContext(document, provider, FixAllScope.Document, first.EquivalenceKey, [id],
            new Diagnostics(diagnostics), CancellationToken.None);
        var action = fixAll.GetFixAsync(context).GetAwaiter().GetResult();
        Assert.NotNull(action);
        var operations = action.GetOperationsAsync(CancellationToken.None).GetAwaiter().GetResult();
        var changed = Assert.Single(operations.OfType<ApplyChangesOperation>()).ChangedSolution;
        string actual = changed.GetDocument(document.Id)!.GetTextAsync().GetAwaiter().GetResult().ToString();
        Assert.Equal(expected.Replace("\r\n", "\n"), actual.Replace("\r\n", "\n"));
        var (generator, analyzers, _) = AnalyzerHarness.Run([actual, .. otherSources]);
        Assert.DoesNotContain(generator.AddRange(analyzers), d => d.Id == id && d.Location.GetLineSpan().Path == "Source0.cs");
    }

    private sealed class Diagnostics(ImmutableArray<Diagnostic> found) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(found);
        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(found);
        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>([]);
    }

    private static async Task<(Document Document, List<CodeAction> Actions)> OfferedAsync(string source, string id, int occurrence, string[] otherSources)
    {
        var workspace = new AdhocWorkspace();
        var project = workspace.CurrentSolution.AddProject(ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Create(), "Tests", "Tests",
            LanguageNames.CSharp, compilationOptions: GeneratorHarness.CompilationOptions, parseOptions: GeneratorHarness.ParseOptions,
            metadataReferences: GeneratorHarness.References.Value)).Projects.Single();
        var document = project.AddDocument("Source0.cs", SourceText.From(source), filePath: "Source0.cs");
        project = document.Project;
        for (int i = 0; i < otherSources.Length; i++)
            project = project.AddDocument($"Source{i + 1}.cs", SourceText.From(otherSources[i]), filePath: $"Source{i + 1}.cs").Project;
        document = project.GetDocument(document.Id)!;

        var compilation = (await project.GetCompilationAsync())!;
        var diagnostic = AnalyzerHarness.Analyze(compilation)
            .Where(d => d.Id == id && d.Location.SourceTree?.FilePath == "Source0.cs")
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ElementAt(occurrence);
        var actions = new List<CodeAction>();
        foreach (var provider in Providers.Where(p => p.FixableDiagnosticIds.Contains(id)))
            await provider.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        return (document, actions);
    }
}
