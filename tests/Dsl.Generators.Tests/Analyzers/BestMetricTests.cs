using System.Globalization;
using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>DSL029: MetricForBestModel naming no metric of the trainer the arguments are passed to.</summary>
public sealed class BestMetricTests
{
    private const string Trainers = """
        [Trainer]
        public partial class Scored(Net model, TrainingArguments args)
        {
            [TrainStep] StepOutput Step(Batch batch) => model.forward(batch.X).mean();
            [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0;
            [Metric("f1")] double F(Tensor predictions, Tensor labels) => 0;
            [Metric] double TopKRecall(Tensor predictions, Tensor labels) => 0;
        }

        [Trainer]
        public partial class LossOnly(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }

        """;

    private static void Verify(string runs) => Markup.Verify(Sources.Trainer(Trainers + runs), Sources.Common);

    [Fact]
    public void DSL029_an_unknown_metric_is_reported_where_it_is_set() => Verify("""
        public static class Runs
        {
            public static void Direct(Net model) => _ = new Scored(model, new TrainingArguments { {|DSL029:MetricForBestModel = "precision"|} });

            public static void ThroughALocal(Net model)
            {
                var args = new TrainingArguments { {|DSL029:MetricForBestModel = "eval_recall"|}, EvalStrategy = IntervalStrategy.Epoch };
                var trainer = new Scored(model, args);
            }

            public static void ThroughWith(Net model, TrainingArguments given) =>
                _ = new LossOnly(model, given with { {|DSL029:MetricForBestModel = "accuracy"|} });
        }
        """);

    [Fact]
    public void DSL029_is_silent_for_the_trainers_metrics_loss_and_what_it_cannot_see() => Verify("""
        public static class Runs
        {
            public static void Known(Net model, string name, TrainingArguments other)
            {
                _ = new Scored(model, new TrainingArguments { MetricForBestModel = "accuracy" });
                _ = new Scored(model, new TrainingArguments { MetricForBestModel = "eval_f1" });
                _ = new Scored(model, new TrainingArguments { MetricForBestModel = "top_k_recall" });
                _ = new Scored(model, new TrainingArguments { MetricForBestModel = "loss" });
                _ = new LossOnly(model, new TrainingArguments { MetricForBestModel = "eval_loss" });
                _ = new LossOnly(model, new TrainingArguments { MetricForBestModel = "eval_data1_loss" });   // named eval datasets
                _ = new Scored(model, new TrainingArguments { MetricForBestModel = "validation_f1" });
                _ = new Scored(model, new TrainingArguments { MetricForBestModel = name });
                _ = new Scored(model, other);
                var unused = new TrainingArguments { MetricForBestModel = "nothing" };
            }

            public static void Reassigned(Net model, TrainingArguments other)
            {
                var args = new TrainingArguments { MetricForBestModel = "nope" };
                args = other;
                _ = new Scored(model, args);
            }
        }
        """);

    [Fact]
    public void DSL029_lists_what_the_trainer_reports()
    {
        var (_, analyzers, _) = AnalyzerHarness.Run(Sources.Trainer(Trainers + """
            public static class Runs
            {
                public static void A(Net model) => _ = new Scored(model, new TrainingArguments { MetricForBestModel = "auc" });
                public static void B(Net model) => _ = new LossOnly(model, new TrainingArguments { MetricForBestModel = "auc" });
            }
            """), Sources.Common);
        Assert.Equal([
            "MetricForBestModel is 'auc', but 'Scored' reports eval_loss, eval_accuracy, eval_f1, eval_top_k_recall; use one of those or add a [Metric(\"auc\")] method",
            "MetricForBestModel is 'auc', but 'LossOnly' reports only eval_loss; use one of those or add a [Metric(\"auc\")] method",
        ], analyzers.OrderBy(d => d.Location.SourceSpan.Start).Select(d => d.GetMessage(CultureInfo.InvariantCulture)));
    }
}
