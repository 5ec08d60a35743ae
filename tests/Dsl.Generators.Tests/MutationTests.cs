using System.Text;
using Dsl.Generators.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Generators.Tests;

/// <summary>
/// The generator never throws (issue 12, section 2): random mutations of valid trainer classes
/// (tokens deleted, duplicated or swapped; types changed; attribute arguments dropped or added;
/// attributes swapped) produce diagnostics only: no AD0001, no CS8785, no error located in generated
/// code. CI runs 1,000 mutations; <c>DSL_GENERATOR_MUTATIONS</c> sets another count.
/// </summary>
public sealed class MutationTests
{
    private static readonly int Mutations =
        int.TryParse(Environment.GetEnvironmentVariable("DSL_GENERATOR_MUTATIONS"), out int n) && n > 0 ? n : 1000;

    private static readonly string[] Valid =
    [
        """
        [Trainer]
        public partial class MinimalTrainer(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """,
        """
        [Trainer]
        public partial class TunedTrainer(Net model, TrainingArguments args)
        {
            [Optimizer]
            Optimizer CreateOptimizer() => SGD(model.parameters(), learningRate: args.LearningRate);

            [Scheduler]
            LRScheduler CreateScheduler(Optimizer optimizer, int trainingSteps) =>
                Schedules.Cosine(optimizer, warmupSteps: 10, trainingSteps);

            [TrainStep]
            Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """,
        """
        [Trainer]
        public partial class ScoredTrainer(Net model, TrainingArguments args)
        {
            [TrainStep]
            StepOutput Step(Batch batch)
            {
                var logits = model.forward(batch.X);
                return new StepOutput(logits.mean(), logits, batch.Y);
            }

            [EvalStep]
            StepOutput Validate(Batch batch) => new StepOutput(model.forward(batch.X).mean(), model.forward(batch.X), batch.Y);

            [Metric("f1")]
            double Accuracy(Tensor predictions, Tensor labels) => 0.5;
        }
        """,
        """
        [Trainer]
        public partial class HookedTrainer(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch) => model.forward(batch.X).mean();

            [OnStepEnd]
            TrainerControl StepEnded(StepEndEvent e) => e.GlobalStep > 100 ? TrainerControl.StopTraining : TrainerControl.None;

            [OnLog]
            void Print(LogEvent e) => Console.WriteLine(e.Step);

            [OnEvaluate]
            void Evaluated(EvaluateEvent e) { }

            [OnSave]
            TrainerControl Saved(SaveEvent e) => TrainerControl.None;

            [OnTrainEnd]
            void Done(TrainEndEvent e) { }
        }
        """,
        """
        public static partial class Experiments
        {
            [Trainer]
            internal partial class InnerTrainer
            {
                [Model] private readonly Net _student = new();
                private readonly Net _teacher = new();
                public TrainingArguments Arguments { get; } = new();

                [TrainStep]
                Tensor Step(Batch batch) => (_student.forward(batch.X) - _teacher.forward(batch.X)).pow(2).mean();
            }
        }
        """,
    ];

    private static readonly string[] Types =
        ["Tensor", "StepOutput", "Batch", "NotABatch", "Net", "int", "void", "double", "string", "object", "Optimizer",
         "LRScheduler", "TrainingArguments", "Example", "Task", "Tensor?", "Batch[]", "dynamic", "Missing", "TrainerControl", "LogEvent"];

    private static readonly string[] Attributes =
        ["Trainer", "Model", "Optimizer", "Scheduler", "TrainStep", "EvalStep", "Metric", "OnLog", "OnStepEnd", "OnEpochEnd",
         "OnEvaluate", "OnSave", "OnTrainEnd", "Obsolete"];

    [Fact]
    public void Mutated_trainers_get_diagnostics_never_a_generator_failure_or_broken_generated_code()
    {
        var random = new Random(20261201);
        var baseCompilation = GeneratorHarness.Compile(Sources.Common);
        var mutants = new List<(string Source, string How)>();
        for (int i = 0; i < Mutations; i++)
        {
            string mutated = Mutate(Valid[random.Next(Valid.Length)], random, out string how);
            mutants.Add((mutated, how));
        }
        var problems = new string?[Mutations];
        Parallel.For(0, Mutations, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var tree = CSharpSyntaxTree.ParseText(Sources.Trainer(mutants[i].Source), GeneratorHarness.ParseOptions, path: "Mutant.cs");
            problems[i] = Check(baseCompilation.AddSyntaxTrees(tree));
        });
        var failures = Enumerable.Range(0, Mutations).Where(i => problems[i] is not null)
            .Select(i => $"mutation {i} ({mutants[i].How}): {problems[i]}\n{mutants[i].Source}").ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {Mutations} mutations failed:\n" + string.Join("\n\n", failures.Take(8)));
    }

    // The two the mutations found: a parameter without a name, a property without a getter.
    [Theory]
    [InlineData("[Trainer] public partial class T(Net model, TrainingArguments ) { [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean(); }")]
    [InlineData("[Trainer] public partial class T(Net model) { public TrainingArguments Arguments { set { } } [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean(); }")]
    public void A_member_the_loop_cannot_refer_to_is_not_taken_as_the_arguments(string trainer)
    {
        var compilation = GeneratorHarness.Compile(Sources.Trainer(trainer), Sources.Common);
        Assert.Null(Check(compilation));
        var (generator, _, _) = AnalyzerHarness.Run(compilation);
        Assert.Contains(generator, d => d.Severity == DiagnosticSeverity.Error && d.Id.StartsWith("DSL", StringComparison.Ordinal));
    }

    private static string? Check(Compilation compilation)
    {
        GeneratorDriver driver;
        Compilation output;
        System.Collections.Immutable.ImmutableArray<Diagnostic> driverDiagnostics;
        try
        {
            driver = GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out output, out driverDiagnostics);
        }
        catch (Exception e)
        {
            return "the driver threw " + e;
        }
        var result = driver.GetRunResult().Results.Single();
        if (result.Exception is not null) return "the generator threw " + result.Exception;
        if (driverDiagnostics.FirstOrDefault(d => d.Id is "CS8785" or "AD0001") is { } failed) return failed.ToString();
        try
        {
            AnalyzerHarness.Analyze(output);
        }
        catch (Exception e)
        {
            return "an analyzer failed: " + e.Message;
        }
        var inputs = compilation.SyntaxTrees.ToHashSet();
        var generatedError = output.GetDiagnostics()
            .FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree is { } t && !inputs.Contains(t));
        return generatedError is null ? null : "error in generated code: " + generatedError;
    }

    private static string Mutate(string source, Random random, out string how)
    {
        var tokens = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().Where(t => !t.IsKind(SyntaxKind.EndOfFileToken)).ToList();
        var text = tokens.Select(t => t.ToFullString()).ToList();
        int at = random.Next(tokens.Count);
        switch (random.Next(6))
        {
            case 0:
                how = $"delete '{tokens[at].Text}'";
                text[at] = tokens[at].LeadingTrivia.ToFullString() + " " + tokens[at].TrailingTrivia.ToFullString();
                break;
            case 1:
                how = $"duplicate '{tokens[at].Text}'";
                text[at] = tokens[at].ToFullString() + " " + tokens[at].ToFullString();
                break;
            case 2:
                int next = Math.Min(at + 1, tokens.Count - 1);
                how = $"swap '{tokens[at].Text}' and '{tokens[next].Text}'";
                (text[at], text[next]) = (" " + tokens[next].Text + " ", " " + tokens[at].Text + " ");
                break;
            case 3:
            {
                var names = Enumerable.Range(0, tokens.Count).Where(j => Types.Contains(tokens[j].Text)).ToList();
                int j = names[random.Next(names.Count)];
                string type = Types[random.Next(Types.Length)];
                how = $"type '{tokens[j].Text}' -> '{type}'";
                text[j] = tokens[j].LeadingTrivia.ToFullString() + type + tokens[j].TrailingTrivia.ToFullString();
                break;
            }
            case 4:
            {
                var attributes = Enumerable.Range(0, tokens.Count).Where(j => Attributes.Contains(tokens[j].Text) && j > 0 && tokens[j - 1].IsKind(SyntaxKind.OpenBracketToken)).ToList();
                int j = attributes[random.Next(attributes.Count)];
                bool hasArguments = j + 1 < tokens.Count && tokens[j + 1].IsKind(SyntaxKind.OpenParenToken);
                if (hasArguments)
                {
                    int close = Enumerable.Range(j + 1, tokens.Count - j - 1).First(k => tokens[k].IsKind(SyntaxKind.CloseParenToken));
                    for (int k = j + 1; k <= close; k++) text[k] = "";
                    how = $"drop the arguments of [{tokens[j].Text}]";
                }
                else
                {
                    string[] arguments = ["(\"x\")", "(1)", "()", "(null)", "(typeof(Net))", "(\"\")"];
                    string argument = arguments[random.Next(arguments.Length)];
                    text[j] = tokens[j].ToFullString() + argument;
                    how = $"[{tokens[j].Text}{argument}]";
                }
                break;
            }
            default:
            {
                var attributes = Enumerable.Range(0, tokens.Count).Where(j => Attributes.Contains(tokens[j].Text) && j > 0 && tokens[j - 1].IsKind(SyntaxKind.OpenBracketToken)).ToList();
                int j = attributes[random.Next(attributes.Count)];
                string attribute = Attributes[random.Next(Attributes.Length)];
                how = $"[{tokens[j].Text}] -> [{attribute}]";
                text[j] = tokens[j].LeadingTrivia.ToFullString() + attribute + tokens[j].TrailingTrivia.ToFullString();
                break;
            }
        }
        return new StringBuilder().AppendJoin("", text).ToString();
    }
}
