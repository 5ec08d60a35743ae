using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>The settings rules' code fix: the nearest valid value in place of the constant, one at a time and Fix All.</summary>
public sealed class SettingValueFixTests
{
    private static string Settings(string initializer) => Sources.Trainer($$"""
        public static class Settings
        {
            public static TrainingArguments Make() => new TrainingArguments
            {
                {{initializer}}
            };
        }
        """);

    [Theory]
    [InlineData("{|DSL020:GradientAccumulationSteps = 0|}", "DSL020", "GradientAccumulationSteps = 1")]
    [InlineData("{|DSL021:LoggingSteps = 2.5|}", "DSL021", "LoggingSteps = 2.0")]
    [InlineData("{|DSL021:LoggingSteps = 0|}", "DSL021", "LoggingSteps = 500.0")]
    [InlineData("{|DSL022:SaveTotalLimit = -1|}", "DSL022", "SaveTotalLimit = null")]
    [InlineData("{|DSL023:LearningRate = 0|}", "DSL023", "LearningRate = 5E-05")]
    [InlineData("{|DSL024:WarmupRatio = -0.1|}", "DSL024", "WarmupRatio = 0.0")]
    [InlineData("{|DSL024:WarmupRatio = 100|}", "DSL024", "WarmupSteps = 100")]
    [InlineData("{|DSL038:PerDeviceTrainBatchSize = 0|}", "DSL038", "PerDeviceTrainBatchSize = 1")]
    [InlineData("{|DSL038:AdamBeta2 = 1|}", "DSL038", "AdamBeta2 = 0.999")]
    [InlineData("{|DSL038:WeightDecay = -0.01|}", "DSL038", "WeightDecay = 0.0")]
    [InlineData("{|DSL038:MaxSteps = 0|}", "DSL038", "MaxSteps = 1")]
    [InlineData("{|DSL038:OutputDir = \"\"|}", "DSL038", "OutputDir = \"trainer_output\"")]
    [InlineData("{|DSL039:NumTrainEpochs = 0|}", "DSL039", "NumTrainEpochs = 1.0")]
    public void The_fix_puts_the_nearest_valid_value(string wrong, string id, string right)
    {
        string markup = Settings(wrong);
        CodeFixHarness.Verify(markup, id, Settings(right), otherSources: [Sources.Common]);
    }

    [Fact]
    public void Fix_all_corrects_every_setting_of_the_rule_in_the_document() =>
        CodeFixHarness.VerifyFixAll(
            Settings("{|DSL038:PerDeviceTrainBatchSize = 0|},\n        {|DSL038:PerDeviceEvalBatchSize = -4|},\n        {|DSL038:AdamBeta1 = 1.5|}"),
            "DSL038",
            Settings("PerDeviceTrainBatchSize = 1,\n        PerDeviceEvalBatchSize = 1,\n        AdamBeta1 = 0.9"),
            Sources.Common);
}

/// <summary>DSL047's fix: the known name the message suggests.</summary>
public sealed class SettingNameFixTests
{
    private static string Settings(string initializer) => Sources.Trainer($$"""
        public static class Settings
        {
            public static TrainingArguments Make() => new TrainingArguments
            {
                {{initializer}}
            };
        }
        """);

    [Theory]
    [InlineData("ReportTo = [{|DSL047:\"tensorbord\"|}]", "ReportTo = [\"tensorboard\"]")]
    [InlineData("{|DSL047:Device = \"gpu:1\"|}", "Device = \"cpu:1\"")]
    [InlineData("LrSchedulerKwargs = new System.Collections.Generic.Dictionary<string, double> { {|DSL047:[\"num_cycle\"] = 0.5|} }",
        "LrSchedulerKwargs = new System.Collections.Generic.Dictionary<string, double> { [\"num_cycles\"] = 0.5 }")]
    public void The_fix_uses_the_suggested_name(string wrong, string right) =>
        CodeFixHarness.Verify(Settings(wrong), "DSL047", Settings(right), otherSources: [Sources.Common]);

    [Fact]
    public void A_name_far_from_every_known_one_gets_no_fix() =>
        Assert.Empty(CodeFixHarness.Offered(Settings("ReportTo = [{|DSL047:\"wandb\"|}]"), "DSL047", Sources.Common));
}
