using System.CommandLine;
using Dsl;
using Dsl.Adapters;
using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Pretrained;
using Dsl.Text.Tokenization;
using ImdbSentiment;
using TorchSharp;

// The tutorial's job in C#: fine-tune BERT for sentiment with a custom optimizer, schedule and loop
// (the [Trainer] in SentimentTrainer.cs), then evaluate. Run with --help for the options.

var data = new Option<string?>("--data") { Description = "IMDb data: an aclImdb folder, or a folder with train/test .jsonl(.gz)/.csv/.tsv/.parquet files. Default: a built-in corpus." };
var evalData = new Option<string?>("--eval-data") { Description = "Evaluate on this file instead of the data's test split." };
var extraEval = new Option<string[]>("--extra-eval") { Description = "Also evaluate the final model on this labelled file (e.g. SST-2's dev.jsonl); repeatable.", AllowMultipleArgumentsPerToken = true };
var model = new Option<string?>("--model") { Description = "A Hugging Face BERT folder (config.json, model.safetensors, vocab.txt) to fine-tune, e.g. bert-base-uncased." };
var vocab = new Option<string?>("--vocab") { Description = "A WordPiece vocab.txt (e.g. bert-base-uncased's) for a randomly initialised model." };
var size = new Option<string>("--size") { Description = "Size of a randomly initialised BERT when no --model is given.", DefaultValueFactory = _ => "tiny" };
size.AcceptOnlyFromAmong("tiny", "mini", "small", "minilm", "base");
var attention = new Option<string?>("--attention") { Description = "Attention implementation (HF's attn_implementation): sdpa keeps no seq × seq matrix for backward; eager writes them out (default: sdpa)." };
attention.AcceptOnlyFromAmong("sdpa", "eager");
var checkpointing = new Option<bool>("--gradient-checkpointing") { Description = "Keep only each layer's input in the forward and recompute the layer in backward: far less memory at long lengths, about a third more compute." };
var releaseMemory = new Option<bool?>("--release-large-allocations") { Description = "Return every large block to the system when freed (true: lowest peak memory, slower steps; false: glibc keeps them, fastest). Default: only when the memory estimate says the run needs it." };
var pooling = new Option<string?>("--pooling") { Description = "What the classifier reads: cls (the pooler's [CLS] state, HF's BERT) or mean (the mean of the hidden states, what sentence-transformers checkpoints such as all-MiniLM-L6-v2 were trained for)." };
pooling.AcceptOnlyFromAmong("cls", "mean");
var headTokens = new Option<int?>("--head-tokens") { Description = "Head-and-tail truncation: keep a long review's first N tokens and its last (max-length − 2 − N), e.g. 128 at 512 (Sun et al. 2019)." };
var trainSize = new Option<int?>("--train-size") { Description = "Training examples, taken after a seeded shuffle (default: 100 with --data, as the tutorial; 2000 for the built-in corpus)." };
var evalSize = new Option<int?>("--eval-size") { Description = "Evaluation examples (default: 50 with --data; 500 built-in)." };
var epochs = new Option<double?>("--epochs") { Description = "Epochs (default: 1 with --data; 3 built-in)." };
var batchSize = new Option<int>("--batch-size") { Description = "Examples per batch, for training and evaluation.", DefaultValueFactory = _ => 32 };
var maxLength = new Option<int?>("--max-length") { Description = "Tokens per text after truncation (default: 512 with --model, else 128)." };
var learningRate = new Option<double?>("--learning-rate", "--lr") { Description = "Initial learning rate (default: 5e-5 with --model, else 1e-3)." };
var optimizer = new Option<string>("--optimizer") { Description = "The optimizer.", DefaultValueFactory = _ => "adamw" };
optimizer.AcceptOnlyFromAmong("adamw", "sgd");
var scheduler = new Option<string>("--scheduler") { Description = "The learning-rate schedule (cosine_annealing is PyTorch's CosineAnnealingLR).", DefaultValueFactory = _ => "linear" };
scheduler.AcceptOnlyFromAmong("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "cosine_annealing");
var warmup = new Option<int>("--warmup-steps") { Description = "Steps of linear warmup.", DefaultValueFactory = _ => 0 };
var weightDecay = new Option<double>("--weight-decay") { Description = "Weight decay.", DefaultValueFactory = _ => 0.0 };
var gradAccum = new Option<int>("--grad-accum") { Description = "Batches accumulated per optimizer step.", DefaultValueFactory = _ => 1 };
var bf16 = new Option<bool>("--bf16") { Description = "Mixed precision: bfloat16 compute, float32 weights (slower than float32 on CPUs without AVX512-BF16)." };
var fp16 = new Option<bool>("--fp16") { Description = "Mixed precision: float16 compute with dynamic loss scaling, float32 weights (slower than float32 on CPUs)." };
var device = new Option<string?>("--device") { Description = "cpu, cuda or cuda:N (default: CUDA when available)." };
var output = new Option<string>("--output") { Description = "Where checkpoints, the final model and loss.png go.", DefaultValueFactory = _ => "results" };
var loggingDir = new Option<string>("--logging-dir") { Description = "Where TensorBoard event files and log_history.jsonl go.", DefaultValueFactory = _ => "logs" };
var loggingSteps = new Option<int>("--logging-steps") { Description = "Optimizer steps between logs.", DefaultValueFactory = _ => 10 };
var seed = new Option<int>("--seed") { Description = "Seed of the model's initialisation and of training (the data subset is always shuffle(seed=42), as in the tutorial).", DefaultValueFactory = _ => 42 };
var resume = new Option<string?>("--resume") { Description = "Continue from a checkpoint folder, or 'last' for the newest in --output." };
var overwrite = new Option<bool>("--overwrite-output-dir") { Description = "Start a new run in an --output that holds another run's checkpoints (HF's --overwrite_output_dir): those at the same steps are replaced, the others kept." };
var noProgress = new Option<bool>("--no-progress") { Description = "No progress bars." };
var validationSize = new Option<int>("--validation-size") { Description = "Hold out this many training examples to evaluate on during training (and to pick --load-best-model by), so the test split is only used at the end.", DefaultValueFactory = _ => 0 };
var verbose = new Option<bool>("--verbose") { Description = "On a failure, print the full exception (type and stack trace) after the one-line error." };
var tutorial = new Option<bool>("--tutorial") { Description = "Print what the tutorial's own train() prints (Starting epoch N, Step i: Loss = x for batches 0, 10, 20, ..., Training is Done, the evaluation) and nothing else; sizes default to the tutorial's: 100 training and 50 test examples, 1 epoch." };
var exportOnnx = new Option<string?>("--export-onnx") { Description = "Also write the trained model as ONNX for ONNX Runtime: PATH (ids in, logits out) and PATH's .text.onnx twin (text in; docs/deployment.md)." };
var loadBest = new Option<bool>("--load-best-model") { Description = "Keep the epoch with the best evaluation accuracy (HF's load_best_model_at_end with metric_for_best_model=accuracy)." };

var root = new RootCommand("Fine-tune BERT for movie-review sentiment with a compile-time [Trainer] (the Hugging Face custom-loop tutorial, in C#).")
{
    data, evalData, extraEval, model, vocab, size, trainSize, evalSize, epochs, batchSize, maxLength, learningRate,
    optimizer, scheduler, warmup, weightDecay, gradAccum, bf16, fp16, device, output, loggingDir, loggingSteps, seed, resume, overwrite, noProgress,
    loadBest, validationSize, verbose, tutorial, exportOnnx, attention, checkpointing, releaseMemory, headTokens, pooling,
};
var lora = new LoraOptions();
foreach (var option in lora.All) root.Options.Add(option);

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine("error: " + error.Message);
    Console.Error.WriteLine("Run with --help for the options.");
    return 2;
}
if (parsed.Action is not null && parsed.CommandResult.Command == root && args.Any(a => a is "--help" or "-h" or "-?" or "--version"))
    return parsed.Invoke();

bool withModel = parsed.GetValue(model) is not null;
bool builtIn = parsed.GetValue(data) is null;
bool asTutorial = parsed.GetValue(tutorial);
var settings = new Settings
{
    Data = parsed.GetValue(data),
    EvalData = parsed.GetValue(evalData),
    ExtraEval = parsed.GetValue(extraEval) ?? [],
    Model = parsed.GetValue(model),
    Vocab = parsed.GetValue(vocab),
    Size = parsed.GetValue(size)!,
    TrainSize = parsed.GetValue(trainSize) ?? (builtIn && !asTutorial ? 2000 : 100),
    EvalSize = parsed.GetValue(evalSize) ?? (builtIn && !asTutorial ? 500 : 50),
    Epochs = parsed.GetValue(epochs) ?? (builtIn && !asTutorial ? 3 : 1),
    BatchSize = parsed.GetValue(batchSize),
    MaxLength = parsed.GetValue(maxLength) ?? (withModel ? 512 : 128),
    LearningRate = parsed.GetValue(learningRate) ?? (withModel ? 5e-5 : 1e-3),
    Optimizer = parsed.GetValue(optimizer)!,
    Scheduler = parsed.GetValue(scheduler)!,
    WarmupSteps = parsed.GetValue(warmup),
    WeightDecay = parsed.GetValue(weightDecay),
    GradAccum = parsed.GetValue(gradAccum),
    Bf16 = parsed.GetValue(bf16),
    Fp16 = parsed.GetValue(fp16),
    Device = parsed.GetValue(device),
    Output = parsed.GetValue(output)!,
    LoggingDir = parsed.GetValue(loggingDir)!,
    LoggingSteps = parsed.GetValue(loggingSteps),
    Seed = parsed.GetValue(seed),
    Resume = parsed.GetValue(resume),
    OverwriteOutputDir = parsed.GetValue(overwrite),
    NoProgress = parsed.GetValue(noProgress),
    LoadBestModel = parsed.GetValue(loadBest),
    ValidationSize = parsed.GetValue(validationSize),
    Tutorial = asTutorial,
    ExportOnnx = parsed.GetValue(exportOnnx),
    Attention = parsed.GetValue(attention),
    GradientCheckpointing = parsed.GetValue(checkpointing),
    ReleaseLargeAllocations = parsed.GetValue(releaseMemory),
    HeadTokens = parsed.GetValue(headTokens),
    Pooling = parsed.GetValue(pooling),
    Lora = lora.Read(parsed, parsed.GetValue(model)),
};

try
{
    settings.Validate();
    settings.ToTrainingArguments().Validate();
    return Run(settings);
}
catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException or DatasetFormatException)
{
    return Failure.Report(e, parsed.GetValue(verbose), exitCode: 2);
}
catch (Dsl.Checkpoints.OutputFolderHasCheckpointsException e)
{
    // The options' mistake, in the options' words: --resume last, another --output, or --overwrite-output-dir.
    Console.Error.WriteLine($"error: --output {e.OutputDir} already holds checkpoints of another run; continue it with --resume last, " +
                            "choose another --output, or start over there with --overwrite-output-dir.");
    return 2;
}
catch (Exception e)
{
    // Anything else a user can cause at run time (a damaged checkpoint, an unwritable folder, a
    // model that does not fit): one line and a non-zero exit, never an abort with a stack trace.
    return Failure.Report(e, parsed.GetValue(verbose), exitCode: 1);
}

static int Run(Settings settings)
{
    // With --tutorial only the tutorial's own lines go to the console (and warnings, as HF prints them).
    var say = settings.Tutorial ? TextWriter.Null : Console.Out;
    // 1. The tokenizer and the data: HF datasets' shuffle(seed=42).select(range(n)), then tokenised.
    BertTokenizer tokenizer;
    TextDataset<TextExample> train, test;
    var tokenizerOptions = new BertTokenizerOptions { MaxLength = settings.MaxLength, HeadTokens = settings.HeadTokens };
    if (settings.BuiltIn)
    {
        say.WriteLine("Using the built-in corpus of short review-like sentences (no download needed); " +
                          "train on real IMDb with --data ../shared/data/imdb --vocab ../shared/data/bert-base-uncased/vocab.txt");
        string vocabulary = BuiltInCorpus.WriteVocabulary(Path.Combine(settings.Output, "built-in-vocab", "vocab.txt"));
        tokenizer = BertTokenizer.FromVocabulary(vocabulary, tokenizerOptions);
        train = new TextDataset<TextExample>(BuiltInCorpus.Generate(settings.TrainSize, seed: 1), "built-in train");
        test = new TextDataset<TextExample>(BuiltInCorpus.Generate(settings.EvalSize, seed: 2), "built-in test");
    }
    else
    {
        tokenizer = settings.Vocab is not null
            ? BertTokenizer.FromVocabulary(settings.Vocab, tokenizerOptions)
            : BertTokenizer.FromPretrained(settings.Model!, tokenizerOptions);
        train = DataSources.Load(settings.Data!, "train", Labels);
        test = settings.EvalData is not null ? DataSources.Load(settings.EvalData, "test", Labels) : DataSources.Load(settings.Data!, "test", Labels);
    }
    var trainSet = train.Shuffle(42).Take(settings.TrainSize).Map(tokenizer.Encode);
    var evalSet = test.Shuffle(42).Take(settings.EvalSize).Map(tokenizer.Encode);
    // With --validation-size, the last examples of the shuffled training set are held out: evaluations
    // during training (and the choice of the best epoch) use them, and the test split is used once, at the end.
    var duringTraining = evalSet;
    if (settings.ValidationSize > 0)
    {
        duringTraining = trainSet.Select((trainSet.Count - settings.ValidationSize)..);
        trainSet = trainSet.Select(..(trainSet.Count - settings.ValidationSize));
    }
    say.WriteLine($"Data: {trainSet.Count} training{(settings.ValidationSize > 0 ? $", {duringTraining.Count} validation" : "")} and " +
                      $"{evalSet.Count} evaluation examples from {train.Source} and {test.Source}.");

    // 2. The model: a Hugging Face folder, or a randomly initialised BERT of --size.
    torch.manual_seed(settings.Seed);
    BertForSequenceClassification model;
    if (settings.Model is not null)
    {
        model = BertForSequenceClassification.FromPretrained(settings.Model, out var report,
            new PretrainedOptions
            {
                Id2Label = LabelNames, Log = Console.Out, AttnImplementation = settings.Attention,
                Config = settings.Pooling is null ? null : BertConfig.Load(Path.Combine(settings.Model, BertConfig.FileName)) with { ClassifierPooling = settings.Pooling },
            });
        _ = report;
    }
    else
    {
        var preset = settings.Size switch
        {
            "mini" => BertConfig.Mini, "small" => BertConfig.Small, "base" => BertConfig.Base, "minilm" => MiniLmShape, _ => BertConfig.Tiny,
        };
        model = new BertForSequenceClassification(preset with
        {
            VocabSize = tokenizer.VocabularySize, NumLabels = 2, Id2Label = LabelNames, AttnImplementation = settings.Attention, ClassifierPooling = settings.Pooling,
        });
        say.WriteLine($"Model: a randomly initialised BERT-{settings.Size} ({model.parameters().Sum(p => p.numel()):N0} parameters).");
    }

    // With --lora, only an adapter trains (and the classifier): the base weights stay frozen.
    var adapter = settings.Lora is { } loraConfig ? LoraModel.Apply(model, loraConfig) : null;
    if (adapter is not null)
        say.WriteLine($"LoRA on {string.Join(", ", adapter.Config.TargetModules!)} (r {adapter.Config.R}, alpha {adapter.Config.LoraAlpha}): {adapter.TrainableParametersSummary()}");
    else if (settings.Model is not null)
        say.WriteLine($"Model: {model.parameters().Sum(p => p.numel()):N0} parameters, all trainable.");

    // 3. Train with the tutorial's TrainingArguments, then evaluate.
    var args = settings.ToTrainingArguments();
    var trainer = new SentimentTrainer(model, args, settings)
    {
        Tutorial = settings.Tutorial ? new TutorialOutput(settings.LoggingSteps) : null,
    };
    say.WriteLine(Dsl.Memory.MemoryPlan.Estimate(args, model, trainSet));
    var result = trainer.Train(trainSet, duringTraining, resumeFromCheckpoint: settings.Resume);
    Console.WriteLine("Training is Done");
    say.WriteLine(result);

    var metrics = trainer.Evaluate(evalSet);
    Console.WriteLine(metrics);
    foreach (string extra in settings.ExtraEval)
    {
        var extraSet = TextDatasets.Load(extra, Labels).Map(tokenizer.Encode);
        // e.g. ../shared/data/sst2/dev.jsonl → sst2_dev_loss, sst2_dev_accuracy, ...
        string folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(extra))) ?? "";
        string stem = Path.GetFileName(extra).Split('.')[0];
        string prefix = new string((folder.Length > 0 ? folder + "_" + stem : stem).Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_').ToArray());
        Console.WriteLine(trainer.Evaluate(extraSet, metricKeyPrefix: prefix));
    }

    // 4. Keep the model and the plot: model/ loads back with FromPretrained; loss.png shows both losses.
    // With --lora: the adapter in PEFT's files (adapter/), then its update merged into the weights of model/.
    if (adapter is not null)
    {
        adapter.SaveAdapter(Path.Combine(settings.Output, "adapter"));
        adapter.MergeAndUnload();
    }
    string final = Path.Combine(settings.Output, "model");
    model.SavePretrained(final);
    tokenizer.SavePretrained(final);
    LossPlot.Save(trainer.State, Path.Combine(settings.Output, "loss.png"));
    if (settings.ExportOnnx is { } onnx) OnnxFiles.Export(model, tokenizer, onnx, say);
    say.WriteLine($"Saved the model and tokenizer to {final}, the loss curves to {Path.Combine(settings.Output, "loss.png")}, " +
                      $"TensorBoard logs to {settings.LoggingDir}.");
    return 0;
}

partial class Program
{
    // The model has two outputs (negative, positive): a label outside 0..1 is refused when the data
    // loads, naming the file and line, not hours later as a native error inside the loss.
    private static readonly TextColumns Labels = new() { NumLabels = 2 };

    // HF's id2label: config.json, and so an exported graph and the service that serves it, name the classes.
    private static readonly Dictionary<int, string> LabelNames = new() { [0] = "negative", [1] = "positive" };

    // all-MiniLM-L6-v2's shape, for --size minilm: 6 layers, 384 wide, 12 heads, feed-forward 1536.
    private static readonly BertConfig MiniLmShape = new() { NumHiddenLayers = 6, HiddenSize = 384, NumAttentionHeads = 12, IntermediateSize = 1536 };
}
