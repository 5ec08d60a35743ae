using System.Collections.Immutable;
using System.Globalization;
using Dsl.Generators.Analyzers;
using Dsl.Generators.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>DSL020–DSL028, DSL033 (DSL032 is retired): constant TrainingArguments that TrainingArguments.Validate() would reject when training starts.</summary>
public sealed class ConstantArgumentsTests
{
    private static void New(string initializer) => Markup.Verify(Sources.Trainer($$"""
        public static class Settings
        {
            public static TrainingArguments Make(TrainingArguments given, int n, double rate) => new TrainingArguments
            {
                {{initializer}}
            };
        }
        """), Sources.Common);

    private static void With(string initializer) => Markup.Verify(Sources.Trainer($$"""
        public static class Settings
        {
            public static TrainingArguments Make(TrainingArguments given) => given with { {{initializer}} };
        }
        """), Sources.Common);

    [Theory]
    [InlineData("{|DSL020:GradientAccumulationSteps = 0|}")]
    [InlineData("{|DSL020:GradientAccumulationSteps = -2|}")]
    [InlineData("{|DSL021:LoggingSteps = 0|}")]
    [InlineData("{|DSL021:LoggingSteps = 2.5|}")]
    [InlineData("{|DSL021:SaveSteps = -1|}")]
    [InlineData("SaveStrategy = SaveStrategy.Steps, {|DSL021:SaveSteps = double.NaN|}")]
    [InlineData("EvalStrategy = IntervalStrategy.Steps, {|DSL021:EvalSteps = 0|}")]
    [InlineData("EvalStrategy = IntervalStrategy.Steps, LoggingStrategy = IntervalStrategy.No, {|DSL021:LoggingSteps = 0|}")]
    [InlineData("{|DSL022:SaveTotalLimit = -1|}")]
    [InlineData("{|DSL023:LearningRate = 0|}")]
    [InlineData("{|DSL023:LearningRate = -1e-3|}")]
    [InlineData("{|DSL023:LearningRate = double.PositiveInfinity|}")]
    [InlineData("{|DSL024:WarmupRatio = 1.5|}")]
    [InlineData("{|DSL024:WarmupRatio = 1|}")]
    [InlineData("{|DSL024:WarmupRatio = -0.1|}")]
    [InlineData("{|DSL026:LoadBestModelAtEnd = true|}")]
    [InlineData("EvalStrategy = IntervalStrategy.No, {|DSL026:LoadBestModelAtEnd = true|}")]
    [InlineData("{|DSL027:LoadBestModelAtEnd = true|}, EvalStrategy = IntervalStrategy.Epoch")]
    [InlineData("{|DSL027:LoadBestModelAtEnd = true|}, EvalStrategy = IntervalStrategy.Steps, SaveStrategy = SaveStrategy.Epoch")]
    [InlineData("{|DSL028:LoadBestModelAtEnd = true|}, EvalStrategy = IntervalStrategy.Steps, EvalSteps = 30, SaveSteps = 50")]
    [InlineData("{|DSL028:LoadBestModelAtEnd = true|}, EvalStrategy = IntervalStrategy.Steps, LoggingSteps = 30")]
    public void A_constant_setting_that_can_never_work_is_reported_on_its_assignment(string initializer) => New(initializer);

    [Theory]
    [InlineData("GradientAccumulationSteps = 4, LearningRate = 2e-5, WarmupRatio = 0.1, SaveTotalLimit = 2")]
    [InlineData("SaveTotalLimit = 0")]
    [InlineData("SaveTotalLimit = null, WarmupRatio = 0")]
    [InlineData("LoggingSteps = 0, LoggingStrategy = IntervalStrategy.No")]
    [InlineData("LoggingSteps = 0.5, SaveSteps = 0.25")]
    [InlineData("EvalSteps = 0")]
    [InlineData("SaveStrategy = SaveStrategy.Epoch, SaveSteps = 0")]
    [InlineData("EvalStrategy = IntervalStrategy.Steps, EvalSteps = 10, LoggingStrategy = IntervalStrategy.No, LoggingSteps = 0")]
    [InlineData("LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Epoch, SaveStrategy = SaveStrategy.Epoch")]
    [InlineData("LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Steps, SaveStrategy = SaveStrategy.Best")]
    [InlineData("LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Steps, EvalSteps = 25, SaveSteps = 50")]
    [InlineData("LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Steps, EvalSteps = 0.1, SaveSteps = 50")]
    [InlineData("LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Steps")]
    [InlineData("GradientAccumulationSteps = n, LearningRate = rate, LoadBestModelAtEnd = n > 2")]
    [InlineData("LoadBestModelAtEnd = true, EvalStrategy = given.EvalStrategy")]
    public void Settings_that_can_work_or_are_not_constant_are_silent(string initializer) => New(initializer);

    [Theory]
    [InlineData("{|DSL020:GradientAccumulationSteps = 0|}")]
    [InlineData("{|DSL022:SaveTotalLimit = -3|}")]
    [InlineData("LoadBestModelAtEnd = true")]
    [InlineData("LoggingSteps = 0")]
    public void A_with_expression_knows_only_what_it_sets(string initializer) => With(initializer);

    [Fact]
    public void A_with_over_a_new_sees_both_and_blames_only_its_own_assignments() => Markup.Verify(Sources.Trainer("""
        public static class Settings
        {
            public static TrainingArguments Make() =>
                new TrainingArguments { EvalStrategy = IntervalStrategy.Epoch } with { {|DSL027:LoadBestModelAtEnd = true|} };

            public static TrainingArguments Target() { TrainingArguments a = new() { {|DSL020:GradientAccumulationSteps = 0|} }; return a; }
        }
        """), Sources.Common);

    [Fact]
    public void The_messages_of_DSL022_and_DSL027_say_what_the_runtime_allows()
    {
        // Checkpoint.Rotate keeps every checkpoint with a limit of 0 (RotationTests), and Validate accepts
        // LoadBestModelAtEnd with SaveStrategy.Best (the runtime's rule): the messages must not say otherwise.
        var (_, analyzers, _) = AnalyzerHarness.Run(Sources.Trainer("""
            public static class Settings
            {
                public static TrainingArguments A() => new() { SaveTotalLimit = -2 };
                public static TrainingArguments B() => new() { LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Epoch };
                public static TrainingArguments C() => new() { LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Epoch,
                                                               SaveStrategy = SaveStrategy.Best };
            }
            """), Sources.Common);
        var messages = analyzers.OrderBy(d => d.Location.SourceSpan.Start).Select(d => d.GetMessage(CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([
            "TrainingArguments.SaveTotalLimit is -2; it must be null or 0 (keep every checkpoint), or the number of checkpoints to keep",
            "LoadBestModelAtEnd needs the checkpoints to be saved where evaluations are (HF's rule), but SaveStrategy is Steps and EvalStrategy is Epoch; make them match, or set SaveStrategy to Best (saves on each new best)",
        ], messages);
        new Dsl.TrainingArguments { LoadBestModelAtEnd = true, EvalStrategy = Dsl.IntervalStrategy.Epoch, SaveStrategy = Dsl.SaveStrategy.Best }
            .Validate();   // throws if the runtime refused what the message offers
    }

    [Fact]
    public void The_messages_name_the_values_as_Validate_does()
    {
        var (_, analyzers, _) = AnalyzerHarness.Run(Sources.Trainer("""
            public static class Settings
            {
                public static TrainingArguments A() => new() { WarmupRatio = 1.5 };
                public static TrainingArguments B() => new() { LoadBestModelAtEnd = true, EvalStrategy = IntervalStrategy.Steps, LoggingSteps = 30 };
                public static TrainingArguments C() => new() { LoadBestModelAtEnd = true };
                public static TrainingArguments D() => new() { EvalStrategy = IntervalStrategy.Steps, LoggingStrategy = IntervalStrategy.No, LoggingSteps = 0 };
            }
            """), Sources.Common);
        var messages = analyzers.OrderBy(d => d.Location.SourceSpan.Start).Select(d => d.GetMessage(CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([
            "TrainingArguments.WarmupRatio is 1.5; it must be in [0, 1) (the fraction of the training steps spent warming up)",
            "LoadBestModelAtEnd needs every checkpoint to be saved at an evaluation step (HF's rule), but SaveSteps (500) is not a multiple of EvalSteps (30, from LoggingSteps)",
            "LoadBestModelAtEnd needs evaluations to pick the best model, but EvalStrategy is No (the default); set EvalStrategy to Steps or Epoch",
            "TrainingArguments.LoggingSteps is 0 with EvalStrategy = Steps and EvalSteps null (evaluation uses LoggingSteps); it must be above 0, and a whole number when 1 or more (below 1 it is a fraction of the run)",
        ], messages);
    }

    /// <summary>The analyzer knows the defaults by value (it never loads the runtime); they must be the runtime's.</summary>
    [Fact]
    public void The_defaults_the_analyzer_assumes_are_TrainingArguments_defaults()
    {
        var fresh = new TrainingArguments();
        foreach (var (name, assumed) in ArgumentValues.Defaults)
        {
            var property = typeof(TrainingArguments).GetProperty(name);
            Assert.NotNull(property);
            object? actual = property.GetValue(fresh);
            if (actual is Enum) actual = Convert.ToInt32(actual, CultureInfo.InvariantCulture);
            if (actual is null || assumed is null || actual is string) Assert.Equal(assumed, actual);
            else Assert.Equal(Convert.ToDouble(assumed, CultureInfo.InvariantCulture), Convert.ToDouble(actual, CultureInfo.InvariantCulture));
        }
    }

    [Theory]
    [InlineData("Bf16 = true, {|DSL025:Fp16 = true|}")]
    [InlineData("Fp16 = true")]   // no longer an error: dynamic loss scaling
    [InlineData("Bf16FullEval = true, {|DSL025:Fp16FullEval = true|}")]
    [InlineData("Fp16 = true, Bf16FullEval = true")]
    [InlineData("Bf16 = true")]
    [InlineData("Fp16 = false")]
    [InlineData("{|DSL033:SaveStrategy = SaveStrategy.Best|}, EvalStrategy = IntervalStrategy.Epoch")]
    [InlineData("SaveStrategy = SaveStrategy.Best, EvalStrategy = IntervalStrategy.Epoch, MetricForBestModel = \"accuracy\"")]
    [InlineData("SaveStrategy = SaveStrategy.Best, EvalStrategy = IntervalStrategy.Epoch, LoadBestModelAtEnd = true")]
    public void DSL025_DSL033_precision_and_best_saves_and_Fp16_alone_is_fine(string initializer) => New(initializer);

    [Fact]
    public void DSL025_fires_only_where_TrainingArguments_has_Bf16_and_Fp16()
    {
        // A runtime without the properties gets no DSL025; this stand-in has them, in a compilation without Dsl.dll.
        const string markup = """
            namespace Dsl
            {
                public sealed class TrainerAttribute : System.Attribute { }
                public sealed record TrainingArguments
                {
                    public bool Bf16 { get; init; }
                    public bool Fp16 { get; init; }
                }
            }

            namespace Demo
            {
                public static class Settings
                {
                    public static Dsl.TrainingArguments Both() => new() { Bf16 = true, {|DSL025:Fp16 = true|} };
                    public static Dsl.TrainingArguments One() => new() { Bf16 = true, Fp16 = false };
                }
            }
            """;
        var references = GeneratorHarness.References.Value
            .Where(r => !string.Equals(Path.GetFileName(r.Display), "Dsl.dll", StringComparison.OrdinalIgnoreCase));
        Markup.Verify(markup, GeneratorHarness.Compile(references, Markup.Parse(markup).Source));
    }
}
