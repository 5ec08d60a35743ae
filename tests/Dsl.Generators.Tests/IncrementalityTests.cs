using System.Collections;
using System.Reflection;
using Dsl.Generators.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Generators.Tests;

/// <summary>The pipeline caches between keystrokes: unrelated edits re-run nothing, and the model holds only values.</summary>
public sealed class IncrementalityTests
{
    private const string TrainerSource = """
        using Dsl;
        using TorchSharp;
        using static TorchSharp.torch;

        namespace Demo;

        [Trainer]
        public partial class CachedTrainer(Net model, TrainingArguments args)
        {
            [TrainStep] StepOutput Step(Batch batch) => model.forward(batch.X).mean();
            [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0;
            [OnLog] void Print(LogEvent e) { }
        }
        """;

    private static readonly string[] Steps =
        [TrainerGenerator.StepNames.Parse, TrainerGenerator.StepNames.Model, TrainerGenerator.StepNames.Diagnostics, TrainerGenerator.StepNames.Declined,
         TrainerGenerator.StepNames.Startup];

    /// <summary>Fifty trainers, one file each; every fifth has an error (no model), so the declined path is cached too.</summary>
    internal static string[] FiftyTrainers() => Enumerable.Range(0, 50).Select(i => $$"""
        using Dsl;
        using TorchSharp;
        using static TorchSharp.torch;

        namespace Demo.Many;

        [Trainer]
        public partial class Trainer{{i}}({{(i % 5 == 4 ? "" : "Net model, ")}}TrainingArguments args)
        {
            [TrainStep] StepOutput Step(Batch batch) => new(batch.X.mean(), batch.X, batch.Y);
            [Metric] double Accuracy(Tensor predictions, Tensor labels) => {{i}};
            [OnLog] void Print(LogEvent e) { }
        }
        """).ToArray();

    private static IEnumerable<(string Step, int Trainer, IncrementalStepRunReason Reason)> Reasons(GeneratorRunResult result) =>
        Steps.SelectMany(step => result.TrackedSteps.TryGetValue(step, out var runs)
            ? runs.SelectMany((run, i) => run.Outputs.Select(o => (step, i, o.Reason)))
            : []);

    [Fact]
    public void With_fifty_trainers_an_edit_in_one_method_body_reparses_to_equal_results_and_emits_nothing()
    {
        var sources = FiftyTrainers();
        var compilation = GeneratorHarness.Compile([.. sources, Sources.Common]);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.ElementAt(7);
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(
            sources[7].Replace("void Print(LogEvent e) { }", "void Print(LogEvent e) { System.Console.WriteLine(e); }"), GeneratorHarness.ParseOptions, tree.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var reasons = Reasons(result).ToList();
        Assert.Equal(50 * (Steps.Length - 1) + 1, reasons.Count);   // per trainer, and the startup file's one
        // A semantic edit re-runs the parse of every [Trainer] (Roslyn hands each a new semantic model); each gives a
        // result equal to the last (Unchanged), so every step downstream is Cached and nothing is emitted again.
        Assert.All(reasons.Where(r => r.Step == TrainerGenerator.StepNames.Parse), r => Assert.Equal(IncrementalStepRunReason.Unchanged, r.Reason));
        Assert.All(reasons.Where(r => r.Step != TrainerGenerator.StepNames.Parse), r => Assert.Equal(IncrementalStepRunReason.Cached, r.Reason));
        foreach (var (_, outputs) in result.TrackedOutputSteps)
            Assert.All(outputs.SelectMany(o => o.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void With_fifty_trainers_an_attribute_edit_changes_only_that_trainers_model()
    {
        var sources = FiftyTrainers();
        var compilation = GeneratorHarness.Compile([.. sources, Sources.Common]);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.ElementAt(12);
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(
            sources[12].Replace("[Metric] double", "[Metric(\"acc\")] double"), GeneratorHarness.ParseOptions, tree.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var changed = Reasons(result).Where(r => r.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged)).ToList();
        Assert.Equal([TrainerGenerator.StepNames.Model, TrainerGenerator.StepNames.Parse], changed.Select(c => c.Step).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains(result.GeneratedSources, s => s.SourceText.ToString().Contains("eval_acc", StringComparison.Ordinal)
            || s.SourceText.ToString().Contains("\"acc\"", StringComparison.Ordinal));
    }

    [Fact]
    public void With_fifty_trainers_an_unrelated_edit_leaves_every_step_cached()
    {
        var sources = FiftyTrainers();
        var compilation = GeneratorHarness.Compile([.. sources, Sources.Common, "namespace Other { class A { } }"]);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var other = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(other,
            CSharpSyntaxTree.ParseText("namespace Other { class A { int x; } }", GeneratorHarness.ParseOptions, other.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        Assert.All(Reasons(result), r => Assert.True(r.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{r.Step} #{r.Trainer}: {r.Reason}"));
        Assert.Equal(40 + 10 + 1, result.GeneratedSources.Length);   // 40 loops, 10 declined trainers' stubs, the startup file
    }

    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached_or_unchanged()
    {
        var compilation = GeneratorHarness.Compile(TrainerSource, Sources.Common, "namespace Other { class A { } }");
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);

        var other = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(other,
            CSharpSyntaxTree.ParseText("namespace Other { class A { int x; } class B { } }", GeneratorHarness.ParseOptions, other.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in Steps)
            foreach (var run in result.TrackedSteps[step])
                foreach (var (_, reason) in run.Outputs)
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {reason}");
        foreach (var (_, outputs) in result.TrackedOutputSteps)
            foreach (var run in outputs)
                foreach (var (_, reason) in run.Outputs)
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, reason.ToString());
    }

    [Fact]
    public void Editing_a_method_body_in_the_trainer_reparses_to_an_equal_model_and_emits_nothing_new()
    {
        var compilation = GeneratorHarness.Compile(TrainerSource, Sources.Common);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(
            TrainerSource.Replace("[OnLog] void Print(LogEvent e) { }", "[OnLog] void Print(LogEvent e) { System.Console.WriteLine(e.Step); }"),
            GeneratorHarness.ParseOptions, tree.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        // The parser ran again on the edited class and produced an equal result, so nothing downstream runs.
        Assert.All(result.TrackedSteps[TrainerGenerator.StepNames.Parse].SelectMany(r => r.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Unchanged, o.Reason));
        Assert.All(result.TrackedSteps[TrainerGenerator.StepNames.Model].SelectMany(r => r.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Renaming_a_hook_changes_the_model()
    {
        var compilation = GeneratorHarness.Compile(TrainerSource, Sources.Common);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(TrainerSource.Replace("void Print(", "void Show("), GeneratorHarness.ParseOptions, tree.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[TrainerGenerator.StepNames.Model].SelectMany(r => r.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("this.Show(", GeneratorHarness.GeneratedText(result));
    }

    [Fact]
    public void The_model_holds_no_symbols_syntax_locations_or_compilations()
    {
        var (result, _, _) = GeneratorHarness.Run(TrainerSource, Sources.Common);
        var parsed = result.TrackedSteps[TrainerGenerator.StepNames.Parse].Single().Outputs.Single().Value;
        var model = result.TrackedSteps[TrainerGenerator.StepNames.Model].Single().Outputs.Single().Value;
        Assert.NotNull(model);
        Walk(parsed, "ParseResult", new HashSet<object>(ReferenceEqualityComparer.Instance));
        Walk(model, "TrainerModel", new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    [Fact]
    public void The_walker_finds_a_symbol_hidden_in_a_graph()
    {
        var compilation = GeneratorHarness.Compile("class C { }");
        var holder = new { Inner = new[] { new { Symbol = (object)compilation.GetTypeByMetadataName("C")! } } };
        Assert.ThrowsAny<Exception>(() => Walk(holder, "holder", new HashSet<object>(ReferenceEqualityComparer.Instance)));
    }

    private static void Walk(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        Assert.False(value is ISymbol or SyntaxNode or SyntaxTree or Location or Compilation or SemanticModel,
            $"{path} holds a {value.GetType().Name}, which defeats caching.");
        if (value is DiagnosticDescriptor || value.GetType().Namespace?.StartsWith("Microsoft.CodeAnalysis.Text") == true) return;
        if (!value.GetType().IsValueType && !seen.Add(value)) return;
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items) Walk(item, $"{path}[{i++}]", seen);
            return;
        }
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.Name == "EqualityContract") continue;
            Walk(property.GetValue(value), $"{path}.{property.Name}", seen);
        }
    }
}
