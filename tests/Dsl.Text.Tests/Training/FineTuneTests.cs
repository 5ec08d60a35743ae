using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Pretrained;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl.Text.Tests.Training;

/// <summary>The tutorial's trainer, on a tiny BERT: AdamW, linear schedule with no warmup, loss printed at log steps.</summary>
[Trainer]
public partial class TinyBertTrainer(BertForSequenceClassification model, TrainingArguments args)
{
    public List<double> LoggedLosses { get; } = [];

    [Optimizer]
    Optimizer CreateOptimizer() => AdamW(model.parameters(), lr: args.LearningRate);

    [Scheduler]
    LRScheduler CreateScheduler(Optimizer optimizer, int trainingSteps) => Schedules.Linear(optimizer, warmupSteps: 0, trainingSteps);

    [TrainStep]
    Tensor Step(TextBatch batch) => model.forward(batch).Loss;

    [EvalStep]
    StepOutput Validate(TextBatch batch) => model.forward(batch);

    [Metric]
    double Accuracy(Tensor predictions, Tensor labels) =>
        predictions.argmax(-1).eq(labels).to(ScalarType.Float32).mean().item<float>();

    [OnLog]
    void Record(LogEvent e)
    {
        if (e.Loss is { } loss) LoggedLosses.Add(loss);
    }
}

public class FineTuneTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private static readonly string[] Positive = ["good", "cute", "movie good", "good good", "the movie is good", "a cute dog", "good ! good", "my dog is cute"];
    private static readonly string[] Negative = ["bad", "bad movie", "bad bad", "the movie is bad", "a bad dog", "bad !", "my dog is bad", "un ##want bad"];

    private static TextDataset<TextExample> Reviews(int count, int seed)
    {
        var random = new Random(seed);
        var examples = new List<TextExample>();
        for (int i = 0; i < count; i++)
        {
            bool positive = i % 2 == 0;
            var words = positive ? Positive : Negative;
            examples.Add(new TextExample(words[random.Next(words.Length)] + " " + words[random.Next(words.Length)], positive ? 1 : 0));
        }
        return new TextDataset<TextExample>(examples);
    }

    [Fact]
    public void A_reloaded_tiny_bert_fine_tunes_and_its_loss_falls()
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { MaxLength = 16 });
        var train = Reviews(96, seed: 1).Shuffle(42).Map(tokenizer.Encode);
        var eval = Reviews(32, seed: 2).Map(tokenizer.Encode);

        // The tutorial's first step: a pretrained encoder, loaded for 2-label classification with a new head.
        torch.manual_seed(0);
        var config = new BertConfig
        {
            VocabSize = tokenizer.VocabularySize, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2,
            IntermediateSize = 64, MaxPositionEmbeddings = 32,
        };
        string pretrained = Path.Combine(temp.Path, "pretrained");
        using (var encoder = new BertModel(config)) encoder.SavePretrained(pretrained);
        using var model = BertForSequenceClassification.FromPretrained(pretrained, out var report, new PretrainedOptions { NumLabels = 2 });
        Assert.Equal(["classifier.bias", "classifier.weight"], report.MissingKeys);

        var args = new TrainingArguments
        {
            OutputDir = Path.Combine(temp.Path, "results"),
            NumTrainEpochs = 10,
            PerDeviceTrainBatchSize = 8,
            PerDeviceEvalBatchSize = 16,
            LearningRate = 3e-3,
            LoggingSteps = 6,
            SaveStrategy = SaveStrategy.No,
            ReportTo = ["none"],
            DisableTqdm = true,
            Seed = 42,
        };
        var trainer = new TinyBertTrainer(model, args);
        var output = trainer.Train(train, eval);
        var result = trainer.Evaluate(eval);

        Assert.Equal(10 * 96 / 8, output.GlobalStep);
        Assert.True(trainer.LoggedLosses.Count >= 10, $"{trainer.LoggedLosses.Count} logged losses");
        double first = trainer.LoggedLosses[0], last = trainer.LoggedLosses[^1];
        log.WriteLine($"logged losses: {string.Join(", ", trainer.LoggedLosses)}; eval accuracy {result.Metric("accuracy")}");
        Assert.True(last < first * 0.5, $"loss went from {first} to {last}: {string.Join(", ", trainer.LoggedLosses)}");
        Assert.True(result.Metric("accuracy") >= 0.9, $"accuracy {result.Metric("accuracy")}");
        Assert.False(Directory.Exists(Path.Combine(args.OutputDir, "checkpoint-120")));
    }
}
