using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>DSL101: host syncs in a train step; fixed where the value only goes back into the returned loss or into logging.</summary>
public sealed class HostSyncTests
{
    private static void Verify(string trainer) => Markup.Verify(Sources.Trainer(trainer), Sources.Common);

    private static void Fix(string trainer, string expected) =>
        CodeFixHarness.Verify(Sources.Trainer(trainer), "DSL101", Sources.Trainer(expected), otherSources: [Sources.Common]);

    [Fact]
    public void DSL101_every_kind_of_host_read_in_the_step_is_reported() => Verify("""
        [Trainer]
        public partial class Syncing(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                float a = {|DSL101:loss.item<float>()|};
                double b = {|DSL101:loss.ToDouble()|};
                float c = {|DSL101:loss.ToSingle()|};
                long d = {|DSL101:batch.Y.sum().ToInt64()|};
                var e = {|DSL101:loss.cpu()|};
                var f = {|DSL101:batch.X.data<float>()|}.ToArray();
                Console.WriteLine({|DSL101:loss|});
                Console.Write($"loss {{|DSL101:loss|}}");
                Console.WriteLine("loss " + {|DSL101:loss|}.ToString());
                return loss;
            }
        }
        """);

    [Fact]
    public void DSL101_is_reported_in_helpers_the_step_calls_and_properties_it_reads() => Verify("""
        [Trainer]
        public partial class Helped(Net model, TrainingArguments args)
        {
            private Tensor _scale = torch.ones(1);
            private float Scale => {|DSL101:_scale.item<float>()|};

            [TrainStep] Tensor Step(Batch batch) => Loss(batch) * Scale;

            Tensor Loss(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                Report(loss);
                return loss;
            }

            void Report(Tensor loss) => Console.WriteLine({|DSL101:loss.item<float>()|});
        }
        """);

    [Fact]
    public void DSL101_is_silent_in_metrics_hooks_eval_steps_and_other_classes() => Verify("""
        [Trainer]
        public partial class Fine(Net model, TrainingArguments args)
        {
            [TrainStep] StepOutput Step(Batch batch) => model.forward(batch.X).mean();
            [EvalStep] StepOutput Check(Batch batch) { var l = model.forward(batch.X).mean(); Console.WriteLine(l.item<float>()); return l; }
            [Metric] double Accuracy(Tensor predictions, Tensor labels) => predictions.eq(labels).to(ScalarType.Float32).mean().item<float>();
            [OnLog] void Print(LogEvent e) => Console.WriteLine(e.Loss);
            [OnTrainEnd] void Done() => Console.WriteLine(torch.ones(1).ToSingle());
        }

        public static class Elsewhere
        {
            public static float Read(Tensor t) => t.item<float>();
        }
        """);

    [Fact]
    public void DSL101_fix_returns_the_tensor_instead_of_its_value() => Fix("""
        [Trainer]
        public partial class Syncing(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => {|DSL101:model.forward(batch.X).mean().item<float>()|};
        }
        """, """
        [Trainer]
        public partial class Syncing(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """);

    [Fact]
    public void DSL101_fix_returns_the_tensor_from_a_return_statement() => Fix("""
        [Trainer]
        public partial class Syncing(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                return {|DSL101:loss.ToSingle()|};
            }
        }
        """, """
        [Trainer]
        public partial class Syncing(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                return loss;
            }
        }
        """);

    [Fact]
    public void DSL101_fix_removes_a_local_that_only_logging_reads() => Fix("""
        [Trainer]
        public partial class Syncing(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                var value = {|DSL101:loss.item<float>()|};
                Console.WriteLine($"loss = {value}");
                System.Diagnostics.Debug.WriteLine(value);
                return loss;
            }
        }
        """, """
        [Trainer]
        public partial class Syncing(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                return loss;
            }
        }
        """);

    [Fact]
    public void DSL101_fix_removes_a_logging_statement() => Fix("""
        [Trainer]
        public partial class Syncing(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                Console.WriteLine($"loss {{|DSL101:loss|}}");
                return loss;
            }
        }
        """, """
        [Trainer]
        public partial class Syncing(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                return loss;
            }
        }
        """);

    [Theory]
    [InlineData("var value = {|DSL101:loss.item<float>()|}; if (value > 10) Console.WriteLine(value);")]
    [InlineData("var scaled = loss * {|DSL101:loss.ToSingle()|};")]
    public void DSL101_has_no_fix_when_the_value_is_used(string statements) =>
        Assert.Empty(CodeFixHarness.Offered(Sources.Trainer($$"""
            [Trainer]
            public partial class Syncing(Net model, TrainingArguments args)
            {
                [TrainStep]
                Tensor Step(Batch batch)
                {
                    var loss = model.forward(batch.X).mean();
                    {{statements}}
                    return loss;
                }
            }
            """), "DSL101", Sources.Common));
}
