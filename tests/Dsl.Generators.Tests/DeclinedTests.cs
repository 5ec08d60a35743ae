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

    [Fact]
    public void Under_TreatWarningsAsErrors_the_DSL_error_is_the_only_one_and_no_parameter_is_called_unread()
    {
        // 'args' is read only by the loop that was not generated: CS9113 would be a second error for one mistake.
        var strict = GeneratorHarness.Compile(Sources.Trainer(NoModel), Sources.Common);
        strict = strict.WithOptions(strict.Options.WithGeneralDiagnosticOption(ReportDiagnostic.Error));
        var (generator, analyzers, output) = AnalyzerHarness.Run(strict);
        Assert.Contains(output.GetDiagnostics(), d => d.Id == "CS9113");   // what the compiler says before the suppressor
        var reported = AnalyzerHarness.CompilerDiagnostics(output).Concat(generator).Concat(analyzers)
            .Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.Id).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["DSL010", "DSL013"], reported);
    }

    [Theory]
    [InlineData("[Trainer] public partial class", "Net model, TrainingArguments args", "[Metric] double M(Tensor p) => 0;")]   // declined: DSL010
    [InlineData("[Trainer] public class", "Net model, TrainingArguments args", "")]                                      // not partial: DSL001
    [InlineData("public partial class", "Net model, TrainingArguments args", "")]                                        // no [Trainer]: DSL036
    [InlineData("[Trainer] public partial class", "[Model] Net model, Net frozen, TrainingArguments args", "[Metric] double M(Tensor p) => 0;")]
    public void The_model_and_arguments_the_loop_would_read_are_not_unread_but_another_parameter_is(string declaration, string parameters, string member)
    {
        string source = $$"""
            {{declaration}} T({{parameters}}, int unused)
            {
                [TrainStep] Tensor Step(Batch batch) => batch.X.mean();
                {{member}}
            }
            """;
        var (_, _, output) = AnalyzerHarness.Run(Sources.Trainer(source), Sources.Common);
        var unread = AnalyzerHarness.CompilerDiagnostics(output).Where(d => d.Id == "CS9113").Select(d => d.GetMessage()).ToList();
        // 'unused' (and an unmarked second module) would not be read by the loop either: their warning stays.
        string[] expected = parameters.Contains("frozen", StringComparison.Ordinal)
            ? ["Parameter 'frozen' is unread.", "Parameter 'unused' is unread."]
            : ["Parameter 'unused' is unread."];
        Assert.Equal(expected, unread.Order(StringComparer.Ordinal));
    }
}
