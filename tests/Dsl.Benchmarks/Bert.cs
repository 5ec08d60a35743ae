using System.Diagnostics;
using Dsl;
using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Benchmarks;

/// <summary>The tutorial's trainer on a BERT: AdamW, linear schedule, loss per batch.</summary>
[Trainer]
public partial class BertTrainer(BertForSequenceClassification model, TrainingArguments args)
{
    [Optimizer]
    optim.Optimizer CreateOptimizer() => optim.AdamW(model.parameters(), lr: args.LearningRate);

    [Scheduler]
    optim.lr_scheduler.LRScheduler CreateScheduler(optim.Optimizer optimizer, int trainingSteps) =>
        Schedules.Linear(optimizer, 0, trainingSteps);

    [TrainStep]
    Tensor Step(TextBatch batch) => model.forward(batch).Loss!;
}

/// <summary>
/// BERT on IMDb reviews (../shared/data/imdb when present, else the same number of synthetic texts):
/// the generated loop against the hand-written loop, steps per second.
/// </summary>
public static class BertBenchmark
{
    public static void Run(string size, int steps, int rounds, int maxLength, int batchSize)
    {
        var (texts, source) = Texts(steps * batchSize);
        var tokenizer = Tokenizer();
        var data = new TextDataset<TextExample>(texts).Map(tokenizer.Encode);
        var config = (size switch { "mini" => BertConfig.Mini, "small" => BertConfig.Small, "base" => BertConfig.Base, _ => BertConfig.Tiny })
            with { VocabSize = tokenizer.VocabularySize };
        Console.WriteLine($"BERT-{size}, {data.Count} reviews from {source}, max length {maxLength}, batch {batchSize}, {steps} steps");

        BertForSequenceClassification NewModel()
        {
            torch.manual_seed(1);
            return new BertForSequenceClassification(config);
        }

        double Generated()
        {
            var args = new TrainingArguments
            {
                OutputDir = Path.Combine(Path.GetTempPath(), "dsl-bench-bert"), MaxSteps = steps, PerDeviceTrainBatchSize = batchSize,
                LearningRate = 1e-4, LoggingSteps = 50, SaveStrategy = SaveStrategy.No, ReportTo = ["none"], DisableTqdm = true,
            };
            using var model = NewModel();
            var trainer = new BertTrainer(model, args);
            var clock = Stopwatch.StartNew();
            trainer.Train(data);
            return clock.Elapsed.TotalSeconds;
        }

        double Hand()
        {
            using var model = NewModel();
            var clock = Stopwatch.StartNew();
            torch.manual_seed(42);
            var optimizer = torch.optim.AdamW(model.parameters(), lr: 1e-4);
            var examples = new EncodedText[batchSize];
            using var generator = new torch.Generator(42);
            using var permutation = torch.randperm(data.Count, dtype: ScalarType.Int64, generator: generator);
            long[] order = permutation.data<long>().ToArray();
            model.train();
            for (int step = 0; step < steps; step++)
            {
                using var scope = torch.NewDisposeScope();
                for (int i = 0; i < batchSize; i++) examples[i] = data[(int)order[step * batchSize + i]];
                using var batch = TextBatch.Collate(examples, torch.CPU);
                var loss = model.forward(batch).Loss!;
                loss.backward();
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                optimizer.ParamGroups.First().LearningRate = 1e-4 * (steps - step) / steps;
                optimizer.step();
                model.zero_grad();
                if ((step + 1) % 50 == 0) _ = loss.item<float>();
            }
            return clock.Elapsed.TotalSeconds;
        }

        Generated();
        Hand();
        var g = new List<double>();
        var h = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            g.Add(Generated());
            h.Add(Hand());
        }
        double gm = Median(g), hm = Median(h);
        Console.WriteLine($"  generated loop: {gm:F2} s ({steps / gm:F2} steps/s)   all: {string.Join(" ", g.Select(x => x.ToString("F2")))}");
        Console.WriteLine($"  hand loop:      {hm:F2} s ({steps / hm:F2} steps/s)   all: {string.Join(" ", h.Select(x => x.ToString("F2")))}");
        Console.WriteLine($"  generated / hand = {gm / hm:F3} (median), {g.Min() / h.Min():F3} (fastest of each)");

        (List<TextExample>, string) Texts(int count)
        {
            string? file = SharedData.Find("imdb/train.jsonl");
            if (file is not null) return (TextDatasets.LoadJsonLines(file).Take(count).ToList(), file);
            var random = new Random(3);
            string[] words = ["good", "bad", "movie", "plot", "actor", "the", "a", "was", "not", "great", "boring", "scene"];
            return (Enumerable.Range(0, count).Select(i => new TextExample(
                string.Join(' ', Enumerable.Range(0, 200).Select(_ => words[random.Next(words.Length)])), i % 2)).ToList(), "synthetic text");
        }

        BertTokenizer Tokenizer()
        {
            var options = new BertTokenizerOptions { MaxLength = maxLength };
            string? vocab = SharedData.Find("bert-base-uncased/vocab.txt");
            if (vocab is not null) return BertTokenizer.FromVocabulary(vocab, options);
            string path = Path.Combine(Path.GetTempPath(), "dsl-bench-vocab.txt");
            File.WriteAllLines(path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "movie", "plot", "actor", "the", "a", "was", "not", "great", "boring", "scene"]);
            return BertTokenizer.FromVocabulary(path, options);
        }
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}

/// <summary>Finds ../shared/data (beside the repository) from the working directory or the program's folder.</summary>
public static class SharedData
{
    public static string? Find(string relative)
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "data", relative);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}
