using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Dsl.Benchmarks;

/// <summary>
/// What a keystroke costs in the editor with 50 trainers in the project, warm: the generator re-run on the edited
/// compilation (as the IDE runs it after each edit) and the analyzers on the edited document. Two edits: inside a
/// method body, and of an attribute argument. Median of alternating rounds; see docs/diagnostics.md.
/// </summary>
internal static class EditorCost
{
    private const string Common = """
        using System;
        using Dsl;
        using TorchSharp;
        using static TorchSharp.torch;

        namespace Demo
        {
            public sealed class Net : nn.Module<Tensor, Tensor>
            {
                public Net() : base("net") { }
                public override Tensor forward(Tensor x) => x;
            }

            public readonly record struct Example(float[] X, long Y);

            public sealed class Batch : IBatch<Batch, Example>
            {
                public Tensor X { get; init; } = null!;
                public Tensor Y { get; init; } = null!;
                public static Batch Collate(ReadOnlySpan<Example> examples, Device device) => new();
                public void Dispose() { }
            }
        }
        """;

    private static string Trainer(int i, string metric, int constant) => $$"""
        using Dsl;
        using TorchSharp;
        using static TorchSharp.torch;
        using static TorchSharp.torch.optim;

        namespace Demo;

        [Trainer]
        public partial class Trainer{{i}}(Net model, TrainingArguments args)
        {
            [Optimizer] Optimizer Make() => SGD(model.parameters(), learningRate: args.LearningRate);
            [TrainStep]
            StepOutput Step(Batch batch)
            {
                var logits = model.forward(batch.X);
                return new StepOutput((logits - batch.Y).pow(2).mean() * {{constant}}, logits, batch.Y);
            }
            {{metric}} double Accuracy(Tensor predictions, Tensor labels) => 0;
            [OnLog] void Print(LogEvent e) { }
        }
        """;

    public static void Run(int trainers, int rounds)
    {
        string folder = Path.GetDirectoryName(typeof(EditorCost).Assembly.Location)!;
        var generatorAssembly = Assembly.LoadFrom(Path.Combine(folder, "Dsl.Generators.dll"));
        var generator = (IIncrementalGenerator)Activator.CreateInstance(generatorAssembly.GetType("Dsl.Generators.TrainerGenerator")!)!;
        var analyzers = generatorAssembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!).ToImmutableArray();

        _ = typeof(TrainerAttribute);
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = Enumerable.Range(0, trainers)
            .Select(i => CSharpSyntaxTree.ParseText(Trainer(i, "[Metric]", 1), parse, path: $"Trainer{i}.cs"))
            .Append(CSharpSyntaxTree.ParseText(Common, parse, path: "Common.cs")).ToList();
        Compilation compilation = CSharpCompilation.Create("Editor", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create([generator.AsSourceGenerator()], parseOptions: parse);

        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        int errors = output.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
        if (errors > 0) throw new InvalidOperationException($"{errors} errors in the benchmark's program");
        Analyze(output, trees[0], analyzers);   // warm up

        var body = new List<(double Generator, double Compiler, double Analyzers)>();
        var attribute = new List<(double Generator, double Compiler, double Analyzers)>();
        for (int r = 0; r < rounds; r++)
        {
            int target = r % trainers;
            body.Add(Edit(ref compilation, ref driver, target, Trainer(target, "[Metric]", r + 2), analyzers, parse));
            attribute.Add(Edit(ref compilation, ref driver, target, Trainer(target, r % 2 == 0 ? "[Metric(\"acc\")]" : "[Metric]", r + 2), analyzers, parse));
        }
        Console.WriteLine($"Editor cost with {trainers} trainers, warm, median of {rounds} edits (ms):");
        foreach (var (name, runs) in new[] { ("edit inside a method body", body), ("edit of an attribute", attribute) })
            Console.WriteLine($"  {name,-26} generator {Median(runs.Select(b => b.Generator)):F2}, compiler's diagnostics of the document "
                + $"{Median(runs.Select(b => b.Compiler)):F2}, DSL analyzers on the document {Median(runs.Select(b => b.Analyzers)):F2}");
        Console.WriteLine("  DSL analyzers' own time over all edits (ms): " + string.Join(", ",
            AnalyzerTimes.OrderByDescending(t => t.Value).Select(t => $"{t.Key} {t.Value:F0}")));
    }

    private static readonly Dictionary<string, double> AnalyzerTimes = new();

    private static (double, double, double) Edit(ref Compilation compilation, ref GeneratorDriver driver, int target, string text,
        ImmutableArray<DiagnosticAnalyzer> analyzers, CSharpParseOptions parse)
    {
        var old = compilation.SyntaxTrees.First(t => t.FilePath == $"Trainer{target}.cs");
        var tree = CSharpSyntaxTree.ParseText(text, parse, path: old.FilePath);
        compilation = compilation.ReplaceSyntaxTree(old, tree);
        var clock = Stopwatch.StartNew();
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        double generator = clock.Elapsed.TotalMilliseconds;
        // The compiler's own diagnostics of the document first (the IDE computes them anyway): they bind it, so
        // what the analyzers add after is theirs.
        clock.Restart();
        var model = output.GetSemanticModel(tree);
        _ = model.GetDiagnostics();
        double compiler = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        Analyze(output, model, analyzers, record: true);
        return (generator, compiler, clock.Elapsed.TotalMilliseconds);
    }

    private static void Analyze(Compilation compilation, SyntaxTree tree, ImmutableArray<DiagnosticAnalyzer> analyzers) =>
        Analyze(compilation, compilation.GetSemanticModel(tree), analyzers, record: false);

    private static void Analyze(Compilation compilation, SemanticModel model, ImmutableArray<DiagnosticAnalyzer> analyzers, bool record)
    {
        var withAnalyzers = compilation.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(
            new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: record));
        _ = withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(model, null, CancellationToken.None).GetAwaiter().GetResult();
        if (!record) return;
        foreach (var analyzer in analyzers)
        {
            var time = withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime;
            string name = analyzer.GetType().Name;
            AnalyzerTimes[name] = AnalyzerTimes.GetValueOrDefault(name) + time.TotalMilliseconds;
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted[sorted.Count / 2];
    }
}
