using System.Diagnostics;

namespace Dsl.Benchmarks;

/// <summary>
/// One loop alone, for an instruction count (loopcost/run.sh runs this under valgrind's callgrind): the MLP
/// of the "speed" mode trained STEPS steps by the generated or the hand-written loop, after the same
/// start. Two step counts give the loop's instructions per step (their difference over the extra steps),
/// which other processes' load does not change. The generated side is the speed mode's <see cref="MlpTrainer"/>
/// (its memory-sampling hook costs a remainder test a step).
/// </summary>
public static class LoopCost
{
    public static void Run(string loop, int steps, int prefetch)
    {
        const int batchSize = 64;
        var data = Mlp.Data(8192);
        var args = new TrainingArguments
        {
            OutputDir = Path.Combine(Path.GetTempPath(), "dsl-loopcost"), MaxSteps = steps, PerDeviceTrainBatchSize = batchSize,
            LearningRate = 1e-3, LoggingSteps = 50, SaveStrategy = SaveStrategy.No, ReportTo = ["none"], DataloaderDropLast = true,
            DisableTqdm = true, DataloaderPrefetchFactor = prefetch,
        };
        var clock = Stopwatch.StartNew();
        switch (loop)
        {
            case "generated":
                new MlpTrainer(Mlp.Create(1), args).Train(data);
                break;
            case "hand":
                HandLoop.Train(Mlp.Create(1), data, batchSize, steps, 1e-3, 50);
                break;
            default:
                throw new ArgumentException($"Unknown loop '{loop}': use generated or hand.");
        }
        Console.WriteLine($"{{\"loop\": \"{loop}\", \"steps\": {steps}, \"seconds\": {clock.Elapsed.TotalSeconds:F3}}}");
    }
}
