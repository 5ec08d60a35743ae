using Dsl;
using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using ImdbSentiment;
using TorchSharp;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Examples.Tests;

/// <summary>The pieces of examples/ImdbSentiment: its options, data detection, built-in corpus and trainer.</summary>
public sealed class ImdbSentimentTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("dsl-example-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static Settings Valid => new() { TrainSize = 10, EvalSize = 5, Epochs = 1, MaxLength = 32, LearningRate = 1e-3 };

    public static TheoryData<Settings, string> Invalid => new()
    {
        { Valid with { BatchSize = 0 }, "--batch-size must be at least 1 (got 0)." },
        { Valid with { TrainSize = 0 }, "--train-size must be at least 1 (got 0)." },
        { Valid with { MaxLength = 1000 }, "--max-length must be between 8 and 512 (got 1000)." },
        { Valid with { GradAccum = 0 }, "--grad-accum must be at least 1 (got 0)." },
        { Valid with { Data = "/no/such/folder" }, "--data /no/such/folder: no such folder or file." },
        { Valid with { Model = "/no/model" }, "--model /no/model: no such folder" },
        { Valid with { Data = "." }, "--data without --model needs --vocab" },
        { Valid with { Resume = "/no/checkpoint" }, "--resume /no/checkpoint: no such checkpoint folder" },
        { Valid with { Device = "cuda" }, "--device cuda: CUDA is not available." },
        { Valid with { ExportOnnx = "." }, "--export-onnx .: is a folder" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Impossible_options_are_named(Settings settings, string message)
    {
        if (settings.Device is not null && torch.cuda.is_available()) return;
        var e = Assert.Throws<ArgumentException>(settings.Validate);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void The_tutorials_training_arguments()
    {
        var args = (Valid with { Output = "./results", LoggingDir = "./logs" }).ToTrainingArguments();
        Assert.Equal("./results", args.OutputDir);
        Assert.Equal(IntervalStrategy.Epoch, args.EvalStrategy);
        Assert.Equal("./logs", args.LoggingDir);
        Assert.Equal(32, args.PerDeviceTrainBatchSize);
        Assert.Equal(32, args.PerDeviceEvalBatchSize);
        Assert.Equal(10, args.LoggingSteps);
        Assert.Equal(2, args.SaveTotalLimit);
        args.Validate();
    }

    [Fact]
    public void Data_folders_are_found_in_every_layout()
    {
        string jsonl = Directory.CreateDirectory(Path.Combine(_temp, "jsonl")).FullName;
        File.WriteAllText(Path.Combine(jsonl, "train.jsonl"), "{\"text\": \"good\", \"label\": 1}\n");
        File.WriteAllText(Path.Combine(jsonl, "test.jsonl"), "{\"text\": \"bad\", \"label\": 0}\n");
        Assert.Equal("good", DataSources.Load(jsonl, "train")[0].Text);
        Assert.Equal("bad", DataSources.Load(jsonl, "test")[0].Text);

        string nested = Directory.CreateDirectory(Path.Combine(_temp, "nested", "plain_text")).FullName;
        File.WriteAllText(Path.Combine(nested, "train.csv"), "text,label\n\"fine, really\",1\n");
        Assert.Equal("fine, really", DataSources.Load(Path.Combine(_temp, "nested"), "train")[0].Text);

        string acl = Path.Combine(_temp, "aclImdb");
        Directory.CreateDirectory(Path.Combine(acl, "train", "pos"));
        Directory.CreateDirectory(Path.Combine(acl, "train", "neg"));
        File.WriteAllText(Path.Combine(acl, "train", "pos", "0_9.txt"), "loved it");
        File.WriteAllText(Path.Combine(acl, "train", "neg", "1_2.txt"), "hated it");
        Assert.Equal(2, DataSources.Load(acl, "train").Count);

        var e = Assert.Throws<FileNotFoundException>(() => DataSources.Load(Path.Combine(_temp, "nested"), "test"));
        Assert.Contains("no test split found", e.Message);
    }

    [Fact]
    public void The_built_in_corpus_is_balanced_seeded_and_fully_covered_by_its_vocabulary()
    {
        var corpus = BuiltInCorpus.Generate(400, seed: 1);
        Assert.Equal(200, corpus.Count(e => e.Label == 1));
        Assert.Equal(corpus, BuiltInCorpus.Generate(400, seed: 1));
        Assert.NotEqual(corpus, BuiltInCorpus.Generate(400, seed: 2));
        Assert.Contains(corpus, e => e.Text.Contains("not") && e.Label == 1);     // negation flips
        Assert.Contains(corpus, e => e.Text.Contains("wasted") && e.Label == 0);  // contrast decides

        var tokenizer = BertTokenizer.FromVocabulary(BuiltInCorpus.WriteVocabulary(Path.Combine(_temp, "vocab.txt")));
        foreach (var example in corpus)
            Assert.DoesNotContain(1, tokenizer.Encode(example).InputIds);   // id 1 is [UNK]
    }

    [Theory]
    [InlineData("adamw", "linear")]
    [InlineData("sgd", "cosine_annealing")]
    [InlineData("adamw", "cosine_with_restarts")]
    [InlineData("adamw", "constant_with_warmup")]
    public void The_trainer_runs_every_optimizer_and_schedule(string optimizer, string scheduler)
    {
        var tokenizer = BertTokenizer.FromVocabulary(BuiltInCorpus.WriteVocabulary(Path.Combine(_temp, "vocab.txt")));
        var data = new TextDataset<TextExample>(BuiltInCorpus.Generate(64, seed: 3)).Map(tokenizer.Encode);
        torch.manual_seed(1);
        var model = new BertForSequenceClassification(BertConfig.Tiny with
        {
            VocabSize = tokenizer.VocabularySize, HiddenSize = 32, NumAttentionHeads = 2, IntermediateSize = 64, NumHiddenLayers = 1,
        });
        var settings = Valid with
        {
            Optimizer = optimizer, Scheduler = scheduler, WarmupSteps = 2, BatchSize = 16, Epochs = 2,
            Output = Path.Combine(_temp, "results"), LoggingDir = Path.Combine(_temp, "logs"), NoProgress = true,
        };
        var trainer = new SentimentTrainer(model, settings.ToTrainingArguments(), settings);
        var output = trainer.Train(data, data);
        Assert.Equal(8, output.GlobalStep);
        Assert.True(Directory.Exists(Path.Combine(settings.Output, "checkpoint-8")));
        Assert.True(File.Exists(Path.Combine(settings.LoggingDir, "log_history.jsonl")));
        Assert.Single(Directory.GetFiles(settings.LoggingDir, "events.out.tfevents.*"));
    }
}
