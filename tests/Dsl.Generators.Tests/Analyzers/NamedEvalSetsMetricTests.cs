using System.Globalization;
using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>
/// DSL051: with named evaluation sets every key is eval_{name}_{metric}; a best-model metric that names none of the
/// sets Train gets in the same method fails at the first evaluation (refused only at run time before).
/// </summary>
public sealed class NamedEvalSetsMetricTests
{
    private const string Trainer = """
        [Trainer]
        public partial class Named(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }

        """;

    private static void Verify(string runs) => Markup.Verify(Sources.Trainer(Trainer + runs), Sources.Common);

    [Fact]
    public void DSL051_a_metric_of_no_named_set_is_reported_where_it_is_chosen() => Verify("""
        public static class Runs
        {
            public static void Metric(Net model, System.Collections.Generic.List<Example> train, System.Collections.Generic.List<Example> val)
            {
                var args = new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch, {|DSL051:MetricForBestModel = "validation_loss"|} };
                new Named(model, args).Train(train, evalDatasets: new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyList<Example>>
                {
                    ["val"] = val, ["test"] = val,
                });
            }

            public static void DefaultLoss(Net model, System.Collections.Generic.List<Example> train, System.Collections.Generic.List<Example> val)
            {
                var sets = new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyList<Example>> { { "val", val } };
                var trainer = new Named(model, new TrainingArguments
                {
                    EvalStrategy = IntervalStrategy.Epoch, SaveStrategy = SaveStrategy.Epoch, {|DSL051:LoadBestModelAtEnd = true|},
                });
                trainer.Train(train, evalDatasets: sets);
            }

            public static void PlainLoss(Net model, System.Collections.Generic.List<Example> train, System.Collections.Generic.List<Example> val)
            {
                var args = new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch, EarlyStoppingPatience = 2, {|DSL051:MetricForBestModel = "eval_loss"|} };
                new Named(model, args).Train(train, evalDatasets: new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyList<Example>> { ["val"] = val });
            }
        }
        """);

    [Fact]
    public void DSL051_is_silent_for_a_named_sets_key_or_what_it_cannot_see() => Verify("""
        public static class Runs
        {
            public static void Fine(Net model, System.Collections.Generic.List<Example> train, System.Collections.Generic.List<Example> val,
                System.Collections.Generic.IReadOnlyDictionary<string, System.Collections.Generic.IReadOnlyList<Example>> given, string name, TrainingArguments passed)
            {
                var args = new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch, MetricForBestModel = "eval_val_loss" };
                new Named(model, args).Train(train, evalDatasets: new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyList<Example>> { ["val"] = val, ["test"] = val });
                new Named(model, args).Train(train, evalDatasets: given);
                new Named(model, args).Train(train, evalDatasets: new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyList<Example>> { [name] = val });
                new Named(model, args).Train(train, val);
                new Named(model, passed).Train(train, evalDatasets: new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyList<Example>> { ["x"] = val });
            }

            public static void Added(Net model, System.Collections.Generic.List<Example> train, System.Collections.Generic.List<Example> val)
            {
                var args = new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch, LoadBestModelAtEnd = true, SaveStrategy = SaveStrategy.Epoch };
                var sets = new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyList<Example>> { ["val"] = val };
                sets.Add("more", val);   // not only passed along: the analyzer does not follow it
                new Named(model, args).Train(train, evalDatasets: sets);
            }

            public static void NoMetric(Net model, System.Collections.Generic.List<Example> train, System.Collections.Generic.List<Example> val) =>
                new Named(model, new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch })
                    .Train(train, evalDatasets: new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyList<Example>> { ["val"] = val });
        }
        """);

    [Fact]
    public void DSL051_names_the_sets_and_a_key_to_use()
    {
        string code = Trainer + """
            public static class Runs
            {
                public static void Run(Net model, System.Collections.Generic.List<Example> train, System.Collections.Generic.List<Example> val)
                {
                    var args = new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch, LoadBestModelAtEnd = true, SaveStrategy = SaveStrategy.Epoch };
                    new Named(model, args).Train(train, evalDatasets: new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyList<Example>> { ["val"] = val, ["ood"] = val });
                }
            }
            """;
        var (_, analyzers, _) = AnalyzerHarness.Run(Sources.Trainer(code), Sources.Common);
        Assert.Equal("LoadBestModelAtEnd picks the best model by 'loss' (MetricForBestModel is not set), but 'Named.Train' evaluates the named datasets 'val', 'ood', whose keys are eval_{name}_loss and eval_{name}_{metric}, so 'eval_loss' is never reported and Train fails at the first evaluation; set MetricForBestModel = \"val_loss\" (one set's key; any set's works)",
            Assert.Single(analyzers, d => d.Id == "DSL051").GetMessage(CultureInfo.InvariantCulture));
    }
}
