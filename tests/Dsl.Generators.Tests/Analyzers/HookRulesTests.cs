using System.Globalization;
using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>
/// DSL049: a hook that does the loop's work (backward, optimizer or schedule step, zero_grad where gradients wait);
/// DSL050: a TrainerControl a hook returns where the loop can no longer act on it.
/// </summary>
public sealed class HookRulesTests
{
    private static void Verify(string trainer) => Markup.Verify(Sources.Trainer(trainer), Sources.Common);

    [Fact]
    public void DSL049_backward_and_steps_in_hooks_and_their_helpers_are_reported() => Verify("""
        [Trainer]
        public partial class Meddling(Net model, TrainingArguments args)
        {
            private LRScheduler? _schedule;

            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();

            [OnPreOptimizerStep]
            void Extra(PreOptimizerStepEvent e)
            {
                {|DSL049:e.Optimizer.step()|};
                {|DSL049:e.Optimizer.zero_grad()|};
            }

            [OnSubstepEnd] void Wipe() => {|DSL049:model.zero_grad()|};
            [OnStepEnd] void Ahead() => _schedule?{|DSL049:.step()|};
            [OnTrainBegin] void Warm() => Regularize();
            [OnEvaluate] void AfterEval(EvaluateEvent e) => Regularize();

            void Regularize() => {|DSL049:model.forward(torch.ones(2, 2)).sum().backward()|};
        }
        """);

    [Fact]
    public void DSL049_is_silent_where_the_call_is_not_the_loops_work() => Verify("""
        [Trainer]
        public partial class Fine(Net model, TrainingArguments args)
        {
            private readonly Optimizer _probe = SGD(new Net().parameters(), 0.1);

            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [OnStepEnd] void Tidy() => model.zero_grad();                       // after the loop's own: changes nothing
            [OnOptimizerStep] void Clear(OptimizerStepEvent e) => e.Optimizer.zero_grad();
            [OnTrainEnd] void FineTuneAfter() { model.forward(torch.ones(2, 2)).sum().backward(); _probe.step(); }
            void NeverCalled() => _probe.step();
        }
        """);

    [Fact]
    public void DSL049_names_the_hook_and_how_often_the_loop_makes_the_call()
    {
        const string code = """
            [Trainer]
            public partial class Meddling(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
                [OnPreOptimizerStep] void Extra(PreOptimizerStepEvent e) => Twice(e.Optimizer);
                void Twice(Optimizer optimizer) => {|DSL049:optimizer.step()|};
            }
            """;
        Verify(code);
        var (_, analyzers, _) = AnalyzerHarness.Run(Markup.Parse(Sources.Trainer(code)).Source, Sources.Common);
        Assert.Equal("'Twice' (called by [OnPreOptimizerStep] 'Extra') calls 'optimizer.step()', which the generated loop already calls once per optimizer step (every GradientAccumulationSteps batches); remove the call",
            Assert.Single(analyzers).GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void DSL049_code_fix_removes_the_call() => CodeFixHarness.Verify(Sources.Trainer("""
        [Trainer]
        public partial class Meddling(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();

            [OnPreOptimizerStep]
            void Extra(PreOptimizerStepEvent e)
            {
                {|DSL049:e.Optimizer.step()|};
                Console.WriteLine(e.State.GlobalStep);
            }
        }
        """), "DSL049", Sources.Trainer("""
        [Trainer]
        public partial class Meddling(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();

            [OnPreOptimizerStep]
            void Extra(PreOptimizerStepEvent e)
            {
                Console.WriteLine(e.State.GlobalStep);
            }
        }
        """), otherSources: [Sources.Common]);

    [Fact]
    public void DSL050_flags_the_loop_has_passed_are_reported_where_they_are_written() => Verify("""
        [Trainer]
        public partial class Late(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();

            [OnTrainBegin] TrainerControl Begin() => {|DSL050:TrainerControl.Save|} | TrainerControl.StopTraining;
            [OnEpochBegin] TrainerControl Epoch(EpochBeginEvent e) => e.Epoch == 0 ? {|DSL050:TrainerControl.Evaluate|} : TrainerControl.None;
            [OnEpochEnd] TrainerControl EpochDone(EpochEndEvent e) => e.Epoch switch { 0 => {|DSL050:TrainerControl.StopEpoch|}, _ => TrainerControl.StopTraining };
            [OnLog] TrainerControl Logged(LogEvent e) { if (e.Loss is null) return TrainerControl.Save; return {|DSL050:TrainerControl.Log|}; }
            [OnEvaluate] TrainerControl Evaluated(EvaluateEvent e) => {|DSL050:TrainerControl.Evaluate|} | TrainerControl.Save;
            [OnSave] TrainerControl Saved(SaveEvent e) => {|DSL050:TrainerControl.Save|};
            [OnPredictionStep] TrainerControl Predicted(PredictionStepEvent e) => {|DSL050:TrainerControl.Log|};
            [OnTrainEnd] TrainerControl {|DSL050:Done|}(TrainEndEvent e) => TrainerControl.None;
        }
        """);

    [Fact]
    public void DSL050_is_silent_where_the_loop_acts_on_the_request_or_cannot_see_it() => Verify("""
        [Trainer]
        public partial class Timely(Net model, TrainingArguments args)
        {
            public TrainerControl Next { get; set; }

            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();

            [OnTrainBegin] TrainerControl Begin() => TrainerControl.StopTraining;
            [OnEpochBegin] TrainerControl Epoch() => TrainerControl.StopEpoch;
            [OnStepBegin] TrainerControl StepBegin() => TrainerControl.Save | TrainerControl.Log;
            [OnSubstepEnd] TrainerControl Substep() => TrainerControl.Evaluate;
            [OnPreOptimizerStep] TrainerControl Pre() => TrainerControl.Save;
            [OnOptimizerStep] TrainerControl Stepped() => TrainerControl.Log;
            [OnStepEnd] TrainerControl StepEnd() => TrainerControl.Evaluate | TrainerControl.Save | TrainerControl.Log | TrainerControl.StopEpoch;
            [OnLog] TrainerControl Logged() => TrainerControl.Evaluate | TrainerControl.Save;
            [OnEvaluate] TrainerControl Evaluated() => TrainerControl.Save | TrainerControl.StopTraining;
            [OnEpochEnd] TrainerControl EpochDone() => TrainerControl.Save | TrainerControl.Evaluate;
            [OnSave] TrainerControl Saved() => Next;
            [OnTrainEnd] void Done() { }
        }
        """);

    [Fact]
    public void DSL050_says_why_the_loop_drops_the_request_and_what_to_do()
    {
        const string code = """
            [Trainer]
            public partial class Late(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
                [OnEpochBegin] TrainerControl Epoch() => {|DSL050:TrainerControl.Save|};
            }
            """;
        var (_, analyzers, _) = AnalyzerHarness.Run(Markup.Parse(Sources.Trainer(code)).Source, Sources.Common);
        Assert.Equal("[OnEpochBegin] 'Epoch' returns TrainerControl.Save, which the loop clears when the next optimizer step begins (HF's on_step_begin), so it never happens; return it from [OnStepEnd], whose requests are acted on at the end of that step",
            Assert.Single(analyzers).GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void DSL050_code_fix_makes_OnTrainEnd_return_void() => CodeFixHarness.Verify(Sources.Trainer("""
        [Trainer]
        public partial class Late(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [OnTrainEnd] TrainerControl {|DSL050:Done|}(TrainEndEvent e) => TrainerControl.StopTraining;
        }
        """), "DSL050", Sources.Trainer("""
        [Trainer]
        public partial class Late(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
            [OnTrainEnd] void Done(TrainEndEvent e) { }
        }
        """), otherSources: [Sources.Common]);

    [Fact]
    public void DSL050_offers_no_code_fix_for_a_flag_the_user_must_move() =>
        Assert.Empty(CodeFixHarness.Offered(Sources.Trainer("""
            [Trainer]
            public partial class Late(Net model, TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
                [OnEpochBegin] TrainerControl Epoch() => {|DSL050:TrainerControl.Save|};
            }
            """), "DSL050", Sources.Common));
}
