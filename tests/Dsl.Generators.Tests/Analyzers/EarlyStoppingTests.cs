using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>
/// DSL040: early stopping with nothing to watch, found at compile time where HF's
/// <c>EarlyStoppingCallback.on_train_begin</c> asserts at run time (test_trainer.py, <c>test_early_stopping_callback</c>).
/// </summary>
public sealed class EarlyStoppingTests
{
    private static void New(string initializer) => Markup.Verify(Sources.Trainer($$"""
        public static class Settings
        {
            public static TrainingArguments Make(TrainingArguments given, int n) => new TrainingArguments
            {
                {{initializer}}
            };
        }
        """), Sources.Common);

    [Theory]
    [InlineData("{|DSL040:EarlyStoppingPatience = 3|}")]
    [InlineData("{|DSL040:EarlyStoppingPatience = 1|}, EvalStrategy = IntervalStrategy.No, MetricForBestModel = \"loss\"")]
    [InlineData("{|DSL040:EarlyStoppingPatience = 2|}, EvalStrategy = IntervalStrategy.Epoch")]
    [InlineData("{|DSL040:EarlyStoppingPatience = 2|}, EvalStrategy = IntervalStrategy.Steps, MetricForBestModel = null")]
    public void EarlyStoppingCallback_without_evaluation_or_a_metric_is_reported_on_the_patience(string initializer) => New(initializer);

    [Theory]
    [InlineData("EarlyStoppingPatience = 3, EvalStrategy = IntervalStrategy.Epoch, MetricForBestModel = \"accuracy\"")]
    [InlineData("EarlyStoppingPatience = 3, EvalStrategy = IntervalStrategy.Epoch, SaveStrategy = SaveStrategy.Epoch, LoadBestModelAtEnd = true")]
    [InlineData("EarlyStoppingPatience = null")]
    [InlineData("EarlyStoppingPatience = n, EvalStrategy = IntervalStrategy.Steps, MetricForBestModel = \"loss\"")]
    [InlineData("EarlyStoppingPatience = 3, EvalStrategy = given.EvalStrategy, MetricForBestModel = given.MetricForBestModel")]
    public void EarlyStoppingCallback_with_evaluation_and_a_metric_or_unknown_settings_is_not_reported(string initializer) => New(initializer);

    [Fact]
    public void A_with_that_adds_patience_to_unknown_arguments_is_not_reported() => Markup.Verify(Sources.Trainer("""
        public static class Settings
        {
            public static TrainingArguments Make(TrainingArguments given) => given with { EarlyStoppingPatience = 3 };
        }
        """), Sources.Common);

    [Fact]
    public void A_with_over_a_new_without_evaluation_is_reported() => Markup.Verify(Sources.Trainer("""
        public static class Settings
        {
            public static TrainingArguments Make() => new TrainingArguments { LearningRate = 1e-3 } with { {|DSL040:EarlyStoppingPatience = 3|} };
        }
        """), Sources.Common);

    [Fact]
    public void The_message_says_what_is_missing_and_how_to_fix_it()
    {
        var (_, analyzers, _) = AnalyzerHarness.Run(Sources.Trainer("""
            public static class Settings
            {
                public static TrainingArguments A() => new() { EarlyStoppingPatience = 3 };
                public static TrainingArguments B() => new() { EarlyStoppingPatience = 3, EvalStrategy = IntervalStrategy.Epoch };
            }
            """), Sources.Common);
        var messages = analyzers.Where(d => d.Id == "DSL040").Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(
        [
            "EarlyStoppingPatience stops training when an evaluation metric stops improving, but EvalStrategy is No (the default); set EvalStrategy to Steps or Epoch",
            "EarlyStoppingPatience stops training when an evaluation metric stops improving, but MetricForBestModel is null; set MetricForBestModel (e.g. \"loss\"), or LoadBestModelAtEnd, which defaults it to loss",
        ], messages);
    }
}
