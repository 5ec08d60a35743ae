using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>DSL001, DSL002, DSL004, DSL030: reported by TrainerDeclarationAnalyzer, fixed by Dsl.CodeFixes; the generator only declines to generate.</summary>
public sealed class TrainerDeclarationTests
{
    private static void Verify(string trainer) => Markup.Verify(Sources.Trainer(trainer), Sources.Common);

    private static void Fix(string trainer, string id, string expected, string? title = null, int occurrence = 0) =>
        CodeFixHarness.Verify(Sources.Trainer(trainer), id, Sources.Trainer(expected), title, occurrence: occurrence, otherSources: [Sources.Common]);

    /// <summary>No loop is generated: nothing at all, or (when the class is partial) only the stubs that keep call sites compiling.</summary>
    private static void NothingEmitted(string trainer)
    {
        var (result, _, _) = GeneratorHarness.Run(Markup.Parse(Sources.Trainer(trainer)).Source, Sources.Common);
        foreach (var source in result.GeneratedSources)
        {
            string text = source.SourceText.ToString();
            Assert.Contains("was not generated because of", text);
            Assert.DoesNotContain("TrainingRun", text);
        }
        Assert.Empty(result.Diagnostics);
    }

    private const string NotPartial = """
        [Trainer]
        public class {|DSL001:Plain|}(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """;

    [Fact]
    public void DSL001_a_trainer_that_is_not_partial_is_reported_and_not_generated()
    {
        Verify(NotPartial);
        NothingEmitted(NotPartial);
    }

    [Fact]
    public void DSL001_fix_adds_partial() => Fix(NotPartial, "DSL001", """
        [Trainer]
        public partial class Plain(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """);

    private const string NestedNotPartial = """
        public class {|DSL002:Outer|}
        {
            [Trainer]
            class {|DSL001:Inner|}(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            }
        }
        """;

    [Fact]
    public void DSL002_a_containing_type_that_is_not_partial_is_reported_and_not_generated()
    {
        Verify(NestedNotPartial);
        NothingEmitted(NestedNotPartial);
    }

    [Fact]
    public void DSL001_fix_also_makes_the_containing_types_partial() => Fix(NestedNotPartial, "DSL001", """
        public partial class Outer
        {
            [Trainer]
            partial class Inner(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            }
        }
        """);

    [Fact]
    public void DSL002_fix_makes_the_containing_type_partial() => Fix("""
        public static class {|DSL002:Outer|}
        {
            [Trainer]
            public partial class Inner(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            }
        }
        """, "DSL002", """
        public static partial class Outer
        {
            [Trainer]
            public partial class Inner(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            }
        }
        """);

    private const string Stepless = """
        [Trainer]
        public partial class {|DSL004:Stepless|}(Net model, TrainingArguments args);
        """;

    [Fact]
    public void DSL004_a_trainer_without_TrainStep_is_reported_and_not_generated()
    {
        Verify(Stepless);
        NothingEmitted(Stepless);
    }

    [Fact]
    public void DSL004_fix_adds_a_step_stub_taking_the_projects_batch_type() => Fix(Stepless, "DSL004", """
        [Trainer]
        public partial class Stepless(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                // TODO: return the loss of this batch from 'model'; the loop calls backward() and steps the optimizer.
                throw new NotImplementedException("Return the loss of the batch.");
            }
        }
        """);

    [Fact]
    public void DSL004_fix_takes_the_EvalSteps_batch_type() => Fix("""
        public sealed class OtherBatch : IBatch<OtherBatch, int>
        {
            public static OtherBatch Collate(ReadOnlySpan<int> e, Device d) => new();
            public void Dispose() { }
        }

        [Trainer]
        public partial class {|DSL004:HalfDone|}(Net model, TrainingArguments args)
        {
            [EvalStep] Tensor Check(OtherBatch batch) => torch.zeros(1);
        }
        """, "DSL004", """
        public sealed class OtherBatch : IBatch<OtherBatch, int>
        {
            public static OtherBatch Collate(ReadOnlySpan<int> e, Device d) => new();
            public void Dispose() { }
        }

        [Trainer]
        public partial class HalfDone(Net model, TrainingArguments args)
        {
            [EvalStep] Tensor Check(OtherBatch batch) => torch.zeros(1);

            [TrainStep]
            Tensor Step(OtherBatch batch)
            {
                // TODO: return the loss of this batch from 'model'; the loop calls backward() and steps the optimizer.
                throw new NotImplementedException("Return the loss of the batch.");
            }
        }
        """);

    [Fact]
    public void DSL004_offers_one_stub_per_batch_type_and_none_without_one()
    {
        const string twoBatches = """
            public sealed class OtherBatch : IBatch<OtherBatch, int>
            {
                public static OtherBatch Collate(ReadOnlySpan<int> e, Device d) => new();
                public void Dispose() { }
            }

            [Trainer]
            public partial class Stepless(Net model, TrainingArguments args);
            """;
        var titles = CodeFixHarness.Offered(Sources.Trainer(twoBatches), "DSL004", Sources.Common).Select(a => a.Title);
        Assert.Equal(["Add a [TrainStep] taking Batch", "Add a [TrainStep] taking OtherBatch"], titles);

        string noBatch = Sources.Common[..Sources.Common.IndexOf("public sealed class Batch", StringComparison.Ordinal)] + "}";
        Assert.Empty(CodeFixHarness.Offered(Sources.Trainer("[Trainer] public partial class Stepless(Net model, TrainingArguments args);"), "DSL004", noBatch));
    }

    [Theory]
    [InlineData("OnStepEnd", "int {|DSL030:Hook|}() => 0;")]
    [InlineData("OnLog", "string {|DSL030:Hook|}(LogEvent e) => e.ToString();")]
    [InlineData("OnSave", "TrainerControl? {|DSL030:Hook|}(SaveEvent e) => null;")]
    public void DSL030_a_hook_returning_another_type_is_reported_and_not_generated(string attribute, string hook)
    {
        string code = $$"""
            [Trainer]
            public partial class Wrong(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
                [{{attribute}}] {{hook}}
            }
            """;
        Verify(code);
        NothingEmitted(code);
    }

    [Fact]
    public void DSL030_and_DSL011_are_separate_problems_of_one_hook() => Verify("""
        [Trainer]
        public partial class Wrong(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [OnLog] int {|DSL011:{|DSL030:Hook|}|}(StepEndEvent e) => 0;
        }
        """);

    [Fact]
    public void DSL030_fix_drops_a_returned_value() => Fix("""
        [Trainer]
        public partial class Wrong(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [OnStepEnd] int {|DSL030:Hook|}() => 0;
        }
        """, "DSL030", """
        [Trainer]
        public partial class Wrong(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [OnStepEnd] void Hook() { }
        }
        """);

    private const string Counting = """
        [Trainer]
        public partial class Counting(Net model, TrainingArguments args)
        {
            private int _logs;
            private int _big;
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [OnLog] int {|DSL030:Count|}(LogEvent e) => _logs++;

            [OnStepEnd]
            int {|DSL030:Watch|}(StepEndEvent e)
            {
                if (e.GlobalStep > 10) return Note(e.GlobalStep);
                Func<int> later = () => { return 3; };
                Note(0);
                return 1;
            }

            int Note(int step) => _big = step;
        }
        """;

    [Fact]
    public void DSL030_fix_keeps_an_expression_body_that_does_something() => Fix(Counting, "DSL030", """
        [Trainer]
        public partial class Counting(Net model, TrainingArguments args)
        {
            private int _logs;
            private int _big;
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [OnLog] void Count(LogEvent e) => _logs++;

            [OnStepEnd]
            int Watch(StepEndEvent e)
            {
                if (e.GlobalStep > 10) return Note(e.GlobalStep);
                Func<int> later = () => { return 3; };
                Note(0);
                return 1;
            }

            int Note(int step) => _big = step;
        }
        """);

    [Fact]
    public void DSL030_fix_turns_returns_into_statements_and_leaves_lambdas_alone() => Fix(Counting, "DSL030", """
        [Trainer]
        public partial class Counting(Net model, TrainingArguments args)
        {
            private int _logs;
            private int _big;
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [OnLog] int Count(LogEvent e) => _logs++;

            [OnStepEnd]
            void Watch(StepEndEvent e)
            {
                if (e.GlobalStep > 10)
                {
                    Note(e.GlobalStep);
                    return;
                }
                Func<int> later = () => { return 3; };
                Note(0);
            }

            int Note(int step) => _big = step;
        }
        """, occurrence: 1);
}
