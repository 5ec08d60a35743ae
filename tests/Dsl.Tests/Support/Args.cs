namespace Dsl.Tests.Support;

/// <summary>Quiet arguments for tests: no progress bars, console or file logs, no checkpoints unless asked.</summary>
public static class Args
{
    public static TrainingArguments Quiet(string outputDir) => new()
    {
        OutputDir = outputDir,
        ReportTo = ["none"],
        DisableTqdm = true,
        SaveStrategy = SaveStrategy.No,
        LearningRate = 1e-2,
        PerDeviceTrainBatchSize = 8,
        PerDeviceEvalBatchSize = 8,
        NumTrainEpochs = 1,
        LoggingSteps = 1000,
    };
}
