using System.Globalization;
using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>
/// The settings rules where settings travel: through a <c>with</c> over a local that holds a <c>new</c> of the same
/// method (the <c>new</c>'s defaults included), and where one non-constant value is given to two settings that
/// must not both be true (DSL025's class).
/// </summary>
public sealed class SettingsFlowTests
{
    private static void Method(string body) => Markup.Verify(Sources.Trainer($$"""
        public sealed record Options(bool Half);

        public static class Settings
        {
            public static TrainingArguments Make(TrainingArguments given, bool half, Options options, string[] argv)
            {
                {{body}}
            }

            private static TrainingArguments Other() => new();
        }
        """), Sources.Common);

    [Theory]
    // The new's own settings and its defaults (SaveStrategy Steps, EvalStrategy No) reach the with.
    [InlineData("var a = new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch }; return a with { {|DSL027:LoadBestModelAtEnd = true|} };")]
    [InlineData("var a = new TrainingArguments(); return a with { {|DSL026:LoadBestModelAtEnd = true|} };")]
    [InlineData("TrainingArguments a = new() { LoggingSteps = 30 }; return a with { {|DSL028:LoadBestModelAtEnd = true|}, EvalStrategy = IntervalStrategy.Steps };")]
    // A chain of withs over locals.
    [InlineData("""
        var a = new TrainingArguments { EvalStrategy = IntervalStrategy.Steps, EvalSteps = 30 };
        var b = a with { SaveSteps = 50 };
        return b with { {|DSL028:LoadBestModelAtEnd = true|} };
        """)]
    [InlineData("""
        var a = new TrainingArguments { LrSchedulerType = SchedulerType.ReduceLROnPlateau, EvalStrategy = IntervalStrategy.Epoch };
        return a with { {|DSL048:EvalStrategy = IntervalStrategy.No|} };
        """)]
    public void A_with_over_a_local_sees_the_new_the_local_holds(string body) => Method(body);

    [Theory]
    // The with changed a setting the rule reads, and the operand alone kept the rule: the with's assignment is blamed.
    [InlineData("""
        var a = new TrainingArguments { LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Epoch, SaveStrategy = SaveStrategy.Epoch };
        return a with { {|DSL027:SaveStrategy = SaveStrategy.Steps|} };
        """)]
    [InlineData("""
        var a = new TrainingArguments { EarlyStoppingPatience = 3, EvalStrategy = IntervalStrategy.Epoch, MetricForBestModel = "loss" };
        return a with { {|DSL040:EvalStrategy = IntervalStrategy.No|} };
        """)]
    [InlineData("""
        return new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch, LoadBestModelAtEnd = true, SaveStrategy = SaveStrategy.Epoch }
            with { {|DSL027:EvalStrategy = IntervalStrategy.Steps|} };
        """)]
    public void A_with_that_breaks_a_rule_its_operand_kept_is_blamed_on_its_own_assignment(string body) => Method(body);

    [Theory]
    // The operand's own mistake is reported once, on the new, not again on every with over it.
    [InlineData("var a = new TrainingArguments { {|DSL020:GradientAccumulationSteps = 0|} }; return a with { LearningRate = 1e-4 };")]
    [InlineData("var a = new TrainingArguments { {|DSL026:LoadBestModelAtEnd = true|} }; return a with { SaveSteps = 100 };")]
    // A local assigned again, a parameter, a method's result: their settings are not known.
    [InlineData("var a = new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch }; a = Other(); return a with { LoadBestModelAtEnd = true };")]
    [InlineData("return given with { LoadBestModelAtEnd = true };")]
    [InlineData("return Other() with { LoadBestModelAtEnd = true };")]
    // The with repairs what the new broke: nothing more to say about the with.
    [InlineData("var a = new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch, {|DSL027:LoadBestModelAtEnd = true|} }; return a with { SaveStrategy = SaveStrategy.Epoch };")]
    public void Nothing_is_reported_twice_or_guessed(string body) => Method(body);

    [Theory]
    [InlineData("return new TrainingArguments { Bf16 = half, {|DSL025:Fp16 = half|} };")]
    [InlineData("bool mixed = argv.Length > 0; return new TrainingArguments { Fp16 = mixed, {|DSL025:Bf16 = mixed|} };")]
    [InlineData("return new TrainingArguments { Bf16 = options.Half, {|DSL025:Fp16 = (options.Half)|} };")]
    [InlineData("return new TrainingArguments { Bf16FullEval = half, {|DSL025:Fp16FullEval = half|} };")]
    [InlineData("return given with { Bf16 = half, {|DSL025:Fp16 = half|} };")]
    // Across statements, for a value that cannot change in between.
    [InlineData("var a = new TrainingArguments { Bf16 = half }; return a with { {|DSL025:Fp16 = half|} };")]
    public void One_value_given_to_both_precisions_is_reported(string body) => Method(body);

    [Theory]
    [InlineData("return new TrainingArguments { Bf16 = half, Fp16 = !half };")]
    [InlineData("bool other = argv.Length > 1; return new TrainingArguments { Bf16 = half, Fp16 = other };")]
    [InlineData("return new TrainingArguments { Bf16 = half, Fp16 = false };")]
    [InlineData("return new TrainingArguments { Bf16 = half, Fp16FullEval = half };")]
    [InlineData("return new TrainingArguments { Bf16 = argv.Length > 0, Fp16 = argv.Length > 0 };")]
    // The variable changes between the two statements.
    [InlineData("bool m = argv.Length > 0; var a = new TrainingArguments { Bf16 = m }; m = !m; return a with { Fp16 = m };")]
    public void Different_or_changing_values_for_the_two_precisions_are_silent(string body) => Method(body);

    [Fact]
    public void The_message_names_the_shared_value()
    {
        var (_, analyzers, _) = AnalyzerHarness.Run(Sources.Trainer("""
            public static class Settings
            {
                public static TrainingArguments Make(bool mixed) => new() { Bf16 = mixed, Fp16 = mixed };
            }
            """), Sources.Common);
        var diagnostic = Assert.Single(analyzers, d => d.Id == "DSL025");
        Assert.Equal("TrainingArguments sets both Bf16 and Fp16 to 'mixed', which sets both whenever it is true; choose one precision",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }
}
