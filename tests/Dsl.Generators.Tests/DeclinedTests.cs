using Dsl.Generators.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests;

/// <summary>
/// One error per mistake: a trainer the generator declines still gets its public members, as throwing stubs, so
/// that calls to them compile and the DSL's error is the only one (see StubEmitter).
/// </summary>
public sealed class DeclinedTests
{
    private const string NoModel = """
        [Trainer]
        public partial class Modelless(TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => batch.X.mean();
            [Metric] static double Accuracy(Tensor predictions, Tensor labels) => 0;
        }

        public static class Use
        {
            public static void Run(Modelless trainer, System.Collections.Generic.List<Example> data)
            {
                trainer.Train(data, data);
                EvalResult result = trainer.Evaluate(data);
                using var predictions = trainer.Predict(data, metricKeyPrefix: "test");
                Console.WriteLine(trainer.State.GlobalStep);
            }
        }
        """;

    [Fact]
    public void The_stubs_of_a_declined_trainer_name_its_errors_and_match_the_snapshot()
    {
        var (result, output, _) = GeneratorHarness.Run(Sources.Trainer(NoModel), Sources.Common);
        string text = GeneratorHarness.GeneratedText(result);
        Assert.Contains("because of errors DSL010, DSL013 in its declaration", text);
        Snapshot.Match(text, "Declined_stubs");
        // The only errors are the DSL's, on the declaration; the calls compile.
        var (generator, analyzers, _) = AnalyzerHarness.Run(output.RemoveSyntaxTrees(output.SyntaxTrees.Where(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal))));
        Assert.Equal(["DSL010", "DSL013"], generator.Concat(analyzers).Select(d => d.Id).Order(StringComparer.Ordinal).ToArray());
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Without_the_stubs_the_calls_would_not_compile()
    {
        // The guard of this feature: the same program with the stubs taken out reports CS1061 at the calls.
        var (_, output, _) = GeneratorHarness.Run(Sources.Trainer(NoModel), Sources.Common);
        var withoutStubs = output.RemoveSyntaxTrees(output.SyntaxTrees.Where(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal)));
        Assert.Contains(withoutStubs.GetDiagnostics(), d => d.Id == "CS1061");
    }
}
