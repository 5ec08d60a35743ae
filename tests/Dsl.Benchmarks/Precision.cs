using System.Diagnostics;
using Dsl;
using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;

namespace Dsl.Benchmarks;

/// <summary>
/// One precision (fp32, bf16 or fp16) on BERT over IMDb reviews: steps per second, the process's
/// peak resident memory and the final logged loss. One precision per process, so each peak is its own.
/// </summary>
public static class PrecisionBenchmark
{
    public static void Run(string precision, string size, int steps, int maxLength, int batchSize)
    {
        string? file = SharedData.Find("imdb/train.jsonl") ?? throw new FileNotFoundException("The precision benchmark reads ../shared/data/imdb/train.jsonl.");
        string? vocab = SharedData.Find("bert-base-uncased/vocab.txt") ?? throw new FileNotFoundException("The precision benchmark reads ../shared/data/bert-base-uncased/vocab.txt.");
        var tokenizer = BertTokenizer.FromVocabulary(vocab, new BertTokenizerOptions { MaxLength = maxLength });
        var data = new TextDataset<TextExample>(TextDatasets.LoadJsonLines(file).Take(steps * batchSize).ToList()).Map(tokenizer.Encode);
        var config = (size == "tiny" ? BertConfig.Tiny : BertConfig.Mini) with { VocabSize = tokenizer.VocabularySize };
        var args = new TrainingArguments
        {
            OutputDir = Path.Combine(Path.GetTempPath(), "dsl-bench-precision"), MaxSteps = steps, PerDeviceTrainBatchSize = batchSize,
            LearningRate = 1e-4, LoggingSteps = 10, SaveStrategy = SaveStrategy.No, ReportTo = ["none"], DisableTqdm = true,
            Bf16 = precision == "bf16", Fp16 = precision == "fp16",
        };
        torch.manual_seed(1);
        using var model = new BertForSequenceClassification(config);
        var trainer = new BertTrainer(model, args);
        var clock = Stopwatch.StartNew();
        double cpu0 = CpuTime.ProcessMilliseconds();
        trainer.Train(data);
        double seconds = clock.Elapsed.TotalSeconds;
        double cpuSeconds = (CpuTime.ProcessMilliseconds() - cpu0) / 1000;
        var losses = trainer.State.LogHistory.Where(e => e.ContainsKey("loss")).Select(e => e["loss"]).ToList();
        Console.WriteLine($"BERT-{size} {precision}: {steps} steps of {batchSize} × {maxLength} tokens in {seconds:F1} s = {steps / seconds:F3} steps/s, CPU {cpuSeconds / steps * 1000:F0} ms/step, " +
                          $"peak RSS {PeakResidentMiB():F0} MiB, final loss (steps {steps - 9}–{steps}) {(losses.Count > 0 ? losses[^1].ToString("F4") : "not logged")}, train_loss {trainer.State.LogHistory[^1]["train_loss"]:F6}" +
                          (trainer.State.LossScaler is { } s ? $", loss scale {s.Scale} ({s.SkippedSteps} skipped steps)" : ""));
    }

    // VmHWM: the most resident memory this process has had (Linux).
    private static double PeakResidentMiB()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        return double.NaN;
    }
}
