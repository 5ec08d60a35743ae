namespace Dsl.Tests.Support;

/// <summary>Quiet arguments for tests: no console or file logs, no checkpoints unless asked.</summary>
public static class Args
{
    public static TrainingArguments Quiet(string outputDir) => new()
    {
        OutputDir = outputDir,
        ReportTo = ["none"],
        SaveStrategy = SaveStrategy.No,
        LearningRate = 1e-2,
        PerDeviceTrainBatchSize = 8,
        PerDeviceEvalBatchSize = 8,
        NumTrainEpochs = 1,
        LoggingSteps = 1000,
    };
}
