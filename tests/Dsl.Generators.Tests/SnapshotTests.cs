using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests;

/// <summary>The generated file for each shape of trainer, compared with a reviewed snapshot, and compiled.</summary>
public sealed class SnapshotTests
{
    private static void Check(string name, string trainer)
    {
        var (result, output, _) = GeneratorHarness.Run(Sources.Trainer(trainer), Sources.Common);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.Problems(output));
        GeneratedCode.AssertNothingInside(GeneratorHarness.Compile(Sources.Trainer(trainer), Sources.Common));
        Snapshot.Match(GeneratorHarness.GeneratedText(result), name);
    }

    [Fact]
    public void Minimal() => Check(nameof(Minimal), """
        [Trainer]
        public partial class MinimalTrainer(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """);

    [Fact]
    public void Optimizer_and_scheduler() => Check(nameof(Optimizer_and_scheduler), """
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
        """);

    [Fact]
    public void Eval_step_and_metrics() => Check(nameof(Eval_step_and_metrics), """
        [Trainer]
        public partial class ScoredTrainer(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch) => model.forward(batch.X).mean();

            [EvalStep]
            StepOutput Validate(Batch batch)
            {
                var logits = model.forward(batch.X);
                return new StepOutput(logits.mean(), logits, batch.Y);
            }

            [Metric]
            double Accuracy(Tensor predictions, Tensor labels) => predictions.argmax(-1).eq(labels).to(float32).mean().item<float>();

            [Metric("f1")]
            float MacroF1(Tensor predictions, Tensor labels) => 0.5f;
        }
        """);

    [Fact]
    public void Hooks() => Check(nameof(Hooks), """
        [Trainer]
        public partial class HookedTrainer(Net model, TrainingArguments args)
        {
            [TrainStep]
            Tensor Step(Batch batch) => model.forward(batch.X).mean();

            [OnStepEnd]
            TrainerControl StepEnded(StepEndEvent e) => e.GlobalStep > 100 ? TrainerControl.StopTraining : TrainerControl.None;

            [OnLog]
            void Print(LogEvent e) => Console.WriteLine($"Step {e.Step}: Loss = {e.Loss}");

            [OnLog]
            void Count() { }

            [OnEvaluate]
            void Evaluated(EvaluateEvent e) { }

            [OnSave]
            TrainerControl Saved(SaveEvent e) => TrainerControl.None;

            [OnEpochEnd]
            void EpochEnded(EpochEndEvent e) { }

            [OnTrainEnd]
            void Done(TrainEndEvent e) => Console.WriteLine("Training is Done");
        }
        """);

    [Fact]
    public void Nested_in_partial_types_with_fields() => Check(nameof(Nested_in_partial_types_with_fields), """
        public static partial class Experiments
        {
            public partial class Sweep
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
        }
        """);

    [Fact]
    public void Step_output() => Check(nameof(Step_output), """
        [Trainer]
        public partial class OutputTrainer(Net model, TrainingArguments args)
        {
            [TrainStep]
            StepOutput Step(Batch batch)
            {
                var logits = model.forward(batch.X);
                return new StepOutput(logits.mean(), logits, batch.Y);
            }
        }
        """);

    [Fact]
    public void Primary_parameters_named_like_the_loops_locals() => Check(nameof(Primary_parameters_named_like_the_loops_locals), """
        [Trainer]
        public partial class ClashTrainer(Net run, TrainingArguments optimizer)
        {
            [TrainStep]
            Tensor Step(Batch batch) => run.forward(batch.X).mean();
        }
        """);

    [Fact]
    public void Hook_points_around_the_step() => Check(nameof(Hook_points_around_the_step), """
        [Trainer]
        public partial class InspectingTrainer(Net model, TrainingArguments args) : IHookState
        {
            int _spikes;

            public System.Text.Json.Nodes.JsonObject SaveHookState() => new() { ["spikes"] = _spikes };

            public void LoadHookState(System.Text.Json.Nodes.JsonObject state) => _spikes = (int)state["spikes"]!;

            [TrainStep]
            Tensor Step(Batch batch) => model.forward(batch.X).mean();

            [OnTrainBegin]
            void Began(TrainBeginEvent e) { }

            [OnEpochBegin]
            void EpochBegan(EpochBeginEvent e) { }

            [OnStepBegin]
            TrainerControl StepBegan(StepBeginEvent e) => TrainerControl.None;

            [OnSubstepEnd]
            void MicroBatchDone() { }

            [OnPreOptimizerStep]
            void InspectGradients(PreOptimizerStepEvent e) { }

            [OnOptimizerStep]
            TrainerControl Stepped(OptimizerStepEvent e) => TrainerControl.None;

            [OnPredictionStep]
            TrainerControl Predicted(PredictionStepEvent e) => TrainerControl.None;
        }
        """);
}
