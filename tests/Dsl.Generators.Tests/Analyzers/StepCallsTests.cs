using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>DSL031: a train step that calls backward(), step() or zero_grad() itself; fixed by removing the call.</summary>
public sealed class StepCallsTests
{
    private static void Verify(string trainer) => Markup.Verify(Sources.Trainer(trainer), Sources.Common);

    private static void Fix(string trainer, string expected) =>
        CodeFixHarness.Verify(Sources.Trainer(trainer), "DSL031", Sources.Trainer(expected), otherSources: [Sources.Common]);

    [Fact]
    public void DSL031_backward_step_and_zero_grad_in_the_step_are_reported() => Verify("""
        [Trainer]
        public partial class Doubled(Net model, TrainingArguments args)
        {
            private readonly Optimizer _optimizer = SGD(model.parameters(), 0.1);
            private LRScheduler? _schedule;

            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                {|DSL031:loss.backward()|};
                {|DSL031:torch.autograd.backward(loss)|};
                {|DSL031:_optimizer.step()|};
                {|DSL031:_optimizer.zero_grad()|};
                {|DSL031:model.zero_grad()|};
                _schedule?{|DSL031:.step()|};
                return loss;
            }
        }
        """);

    [Fact]
    public void DSL031_is_reported_in_methods_the_step_calls_and_names_the_step()
    {
        const string code = """
            [Trainer]
            public partial class Helped(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => Backprop(model.forward(batch.X).mean());

                Tensor Backprop(Tensor loss)
                {
                    {|DSL031:loss.backward()|};
                    return loss;
                }

                void NeverCalledFromTheStep(Tensor loss) => loss.backward();
            }
            """;
        Verify(code);
        var (_, analyzers, _) = AnalyzerHarness.Run(Markup.Parse(Sources.Trainer(code)).Source, Sources.Common);
        Assert.Equal("'Backprop' (called by [TrainStep] 'Step') calls 'backward()', which the generated loop already calls once per micro-batch, on the loss the step returns; remove the call",
            Assert.Single(analyzers).GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void DSL031_says_backward_runs_per_micro_batch_and_the_optimizer_and_schedule_per_optimizer_step()
    {
        // What the loop does (pinned at run time by AccumulationPathTests.Backward_runs_on_every_micro_batch_...).
        const string code = """
            [Trainer]
            public partial class Doubled(Net model, TrainingArguments args)
            {
                private readonly Optimizer _optimizer = SGD(model.parameters(), 0.1);

                [TrainStep]
                Tensor Step(Batch batch)
                {
                    var loss = model.forward(batch.X).mean();
                    {|DSL031:loss.backward()|};
                    {|DSL031:_optimizer.step()|};
                    return loss;
                }
            }
            """;
        var (_, analyzers, _) = AnalyzerHarness.Run(Markup.Parse(Sources.Trainer(code)).Source, Sources.Common);
        var messages = analyzers.OrderBy(d => d.Location.SourceSpan.Start).Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([
            "[TrainStep] 'Step' calls 'backward()', which the generated loop already calls once per micro-batch, on the loss the step returns; remove the call",
            "[TrainStep] 'Step' calls 'optimizer.step()', which the generated loop already calls once per optimizer step (every GradientAccumulationSteps batches); remove the call",
        ], messages);
    }

    [Fact]
    public void DSL031_is_silent_outside_the_step_and_for_other_step_methods() => Verify("""
        [Trainer]
        public partial class Fine(Net model, TrainingArguments args)
        {
            private readonly Optimizer _optimizer = SGD(model.parameters(), 0.1);

            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [OnStepEnd] void AfterStep() => _optimizer.zero_grad();
            [OnTrainEnd] void Done() { var t = torch.ones(1, requiresGrad: true); t.sum().backward(); }
            [EvalStep] Tensor Check(Batch batch) => model.forward(batch.X).mean();
        }

        public static class ElsewhereLoop
        {
            public static void Train(Net model, Optimizer optimizer, Tensor x)
            {
                optimizer.zero_grad();
                model.forward(x).mean().backward();
                optimizer.step();
            }
        }
        """);

    [Fact]
    public void DSL031_fix_removes_the_call() => Fix("""
        [Trainer]
        public partial class Doubled(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                {|DSL031:loss.backward()|};
                return loss;
            }
        }
        """, """
        [Trainer]
        public partial class Doubled(Net model, TrainingArguments args)
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
    public void DSL031_fix_keeps_a_comment_above_the_call() => Fix("""
        [Trainer]
        public partial class Doubled(Net model, TrainingArguments args)
        {
            private readonly Optimizer? _optimizer = null;

            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                // update the weights
                _optimizer?{|DSL031:.step()|};
                return loss;
            }
        }
        """, """
        [Trainer]
        public partial class Doubled(Net model, TrainingArguments args)
        {
            private readonly Optimizer? _optimizer = null;

            [TrainStep]
            Tensor Step(Batch batch)
            {
                var loss = model.forward(batch.X).mean();
                // update the weights
                return loss;
            }
        }
        """);

    [Fact]
    public void DSL031_has_no_fix_when_the_result_is_used() =>
        Assert.Empty(CodeFixHarness.Offered(Sources.Trainer("""
            [Trainer]
            public partial class Doubled(Net model, TrainingArguments args)
            {
                private readonly Optimizer _optimizer = SGD(model.parameters(), 0.1);
                [TrainStep] Tensor Step(Batch batch) => _optimizer.step();
            }
            """), "DSL031", Sources.Common));
}
