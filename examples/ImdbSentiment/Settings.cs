using Dsl;

namespace ImdbSentiment;

/// <summary>Everything the command line chose, with the tutorial's defaults filled in.</summary>
public sealed record Settings
{
    public string? Data { get; init; }
    public string? EvalData { get; init; }
    public IReadOnlyList<string> ExtraEval { get; init; } = [];
    public string? Model { get; init; }
    public string? Vocab { get; init; }
    public string Size { get; init; } = "tiny";
    public int TrainSize { get; init; }
    public int EvalSize { get; init; }
    public double Epochs { get; init; }
    public int BatchSize { get; init; } = 32;
    public int MaxLength { get; init; }
    public double LearningRate { get; init; }
    public string Optimizer { get; init; } = "adamw";
    public string Scheduler { get; init; } = "linear";
    public int WarmupSteps { get; init; }
    public double WeightDecay { get; init; }
    public int GradAccum { get; init; } = 1;
    public bool Bf16 { get; init; }
    public bool Fp16 { get; init; }
    public string? Device { get; init; }
    public string Output { get; init; } = "results";
    public string LoggingDir { get; init; } = "logs";
    public int LoggingSteps { get; init; } = 10;
    public int Seed { get; init; } = 42;
    public string? Resume { get; init; }
    /// <summary>Start over in an --output that holds another run's checkpoints (HF's --overwrite_output_dir).</summary>
    public bool OverwriteOutputDir { get; init; }
    public bool NoProgress { get; init; }
    public bool LoadBestModel { get; init; }
    public int ValidationSize { get; init; }
    /// <summary>Where to write the trained model as ONNX (--export-onnx), or null.</summary>
    public string? ExportOnnx { get; init; }
    /// <summary>Print what the tutorial's own train() prints, and nothing else (--tutorial).</summary>
    public bool Tutorial { get; init; }
    /// <summary>The LoRA adapter to train (--lora, --lora-rank, ...), or null to train every weight.</summary>
    public Dsl.Adapters.LoraConfig? Lora { get; init; }

    /// <summary>HF's attn_implementation (--attention): sdpa or eager; null: the model's default.</summary>
    public string? Attention { get; init; }
    /// <summary>--gradient-checkpointing: each layer recomputed in backward.</summary>
    public bool GradientCheckpointing { get; init; }
    /// <summary>--release-large-allocations: TrainingArguments.ReleaseLargeAllocations (null: decided by the memory estimate).</summary>
    public bool? ReleaseLargeAllocations { get; init; }
    /// <summary>--head-tokens: head-and-tail truncation, the first N tokens and the rest from the end.</summary>
    public int? HeadTokens { get; init; }

    /// <summary>--pooling: cls or mean (BertConfig.ClassifierPooling); null: the model's own.</summary>
    public string? Pooling { get; init; }

    /// <summary>Using the built-in corpus (no --data).</summary>
    public bool BuiltIn => Data is null;

    /// <summary>
    /// The tutorial's TrainingArguments: output ./results, evaluation every epoch, logging dir ./logs,
    /// batch 32/32, logging every 10 steps, at most 2 checkpoints, one each epoch.
    /// </summary>
    public TrainingArguments ToTrainingArguments() => new()
    {
        OutputDir = Output,
        OverwriteOutputDir = OverwriteOutputDir,
        // The tutorial asks for evaluation_strategy="epoch", but its own train() never evaluates; --tutorial does as it does.
        EvalStrategy = Tutorial ? IntervalStrategy.No : IntervalStrategy.Epoch,
        SaveStrategy = SaveStrategy.Epoch,
        LoggingDir = LoggingDir,
        PerDeviceTrainBatchSize = BatchSize,
        PerDeviceEvalBatchSize = BatchSize,
        NumTrainEpochs = Epochs,
        LoggingSteps = LoggingSteps,
        SaveTotalLimit = 2,
        LearningRate = LearningRate,
        WeightDecay = WeightDecay,
        WarmupSteps = WarmupSteps,
        GradientAccumulationSteps = GradAccum,
        Bf16 = Bf16,
        Fp16 = Fp16,
        Device = Device,
        Seed = Seed,
        // The tutorial's own train() shows no progress bar; --tutorial prints only its lines.
        DisableTqdm = NoProgress || Tutorial,
        LoadBestModelAtEnd = LoadBestModel,
        MetricForBestModel = LoadBestModel ? "accuracy" : null,
        // The [OnLog] hook prints the tutorial's "Step N: Loss = x"; the full entries go to files.
        ReportTo = ["jsonl", "tensorboard"],
        GradientCheckpointing = GradientCheckpointing,
        ReleaseLargeAllocations = ReleaseLargeAllocations,
    };

    /// <summary>Throws <see cref="ArgumentException"/> for a setting that cannot work, naming the option.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }

        Require(TrainSize >= 1, $"--train-size must be at least 1 (got {TrainSize}).");
        Require(EvalSize >= 1, $"--eval-size must be at least 1 (got {EvalSize}).");
        Require(Epochs > 0, $"--epochs must be above 0 (got {Epochs}).");
        Require(BatchSize >= 1, $"--batch-size must be at least 1 (got {BatchSize}).");
        Require(MaxLength is >= 8 and <= 512, $"--max-length must be between 8 and 512 (got {MaxLength}).");
        Require(LearningRate > 0, $"--learning-rate must be above 0 (got {LearningRate}).");
        Require(GradAccum >= 1, $"--grad-accum must be at least 1 (got {GradAccum}).");
        Require(WarmupSteps >= 0, $"--warmup-steps must be 0 or more (got {WarmupSteps}).");
        Require(!(Bf16 && Fp16), "--bf16 and --fp16 cannot both be set; choose one precision.");
        Require(HeadTokens is null || (HeadTokens >= 0 && HeadTokens <= MaxLength - 2),
            $"--head-tokens must be between 0 and --max-length − 2 ({MaxLength - 2}) (got {HeadTokens}).");
        Require(LoggingSteps >= 1, $"--logging-steps must be at least 1 (got {LoggingSteps}).");
        Require(ValidationSize >= 0 && ValidationSize < TrainSize,
            $"--validation-size must be 0 or more and below --train-size ({TrainSize}) (got {ValidationSize}).");
        Require(Data is null || Directory.Exists(Data) || File.Exists(Data), $"--data {Data}: no such folder or file.");
        Require(EvalData is null || File.Exists(EvalData) || Directory.Exists(EvalData), $"--eval-data {EvalData}: no such file.");
        foreach (string extra in ExtraEval) Require(File.Exists(extra), $"--extra-eval {extra}: no such file.");
        Require(Model is null || Directory.Exists(Model), $"--model {Model}: no such folder (expected config.json, model.safetensors and vocab.txt).");
        Require(Vocab is null || File.Exists(Vocab), $"--vocab {Vocab}: no such file.");
        Require(!(Data is not null && Model is null && Vocab is null),
            "--data without --model needs --vocab: a WordPiece vocab.txt for the tokenizer (e.g. bert-base-uncased's).");
        Require(ExportOnnx is null || !Directory.Exists(ExportOnnx), $"--export-onnx {ExportOnnx}: is a folder; give the file to write, e.g. {Path.Combine(ExportOnnx ?? "", "model.onnx")}.");
        Require(Resume is null || Resume == "last" || Directory.Exists(Resume), $"--resume {Resume}: no such checkpoint folder (or use --resume last).");
        Lora?.Validate();
        if (Device is not null && Device.StartsWith("cuda", StringComparison.Ordinal))
            Require(TorchSharp.torch.cuda.is_available(),
                $"--device {Device}: CUDA is not available. This build uses libtorch-cpu; build with -p:TorchBackend=cuda on a machine with an NVIDIA GPU.");
    }
}
