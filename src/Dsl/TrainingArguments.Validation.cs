using System.Globalization;
using TorchSharp;

namespace Dsl;

public sealed partial record TrainingArguments
{
    private static readonly string[] KnownReportTargets = ["all", "none", "console", "jsonl", "tensorboard"];
    private static readonly string[] KnownSchedulerKwargs =
    [
        "num_cycles", "power", "lr_end", "min_lr", "min_lr_rate", "num_decay_steps", "num_stable_steps", "min_lr_ratio",
        "factor", "patience", "threshold", "cooldown", "eps",
    ];

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first setting that can never work and its
    /// allowed range. Hugging Face raises the same errors in <c>TrainingArguments.__post_init__</c>.
    /// </summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(OutputDir), nameof(OutputDir), OutputDir, "a folder path");
        // Found at the start, not at the first save or log hours later.
        Require(!File.Exists(OutputDir), nameof(OutputDir), OutputDir, "a folder, not an existing file");
        Require(LoggingDir is null || !File.Exists(LoggingDir), nameof(LoggingDir), LoggingDir, "a folder, not an existing file");
        Require(PerDeviceTrainBatchSize >= 1, nameof(PerDeviceTrainBatchSize), PerDeviceTrainBatchSize, "at least 1");
        Require(PerDeviceEvalBatchSize >= 1, nameof(PerDeviceEvalBatchSize), PerDeviceEvalBatchSize, "at least 1");
        Require(GradientAccumulationSteps >= 1, nameof(GradientAccumulationSteps), GradientAccumulationSteps, "at least 1");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "a finite number above 0");
        Require(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "0 or more");
        Require(AdamBeta1 is >= 0 and < 1, nameof(AdamBeta1), AdamBeta1, "in [0, 1)");
        Require(AdamBeta2 is >= 0 and < 1, nameof(AdamBeta2), AdamBeta2, "in [0, 1)");
        Require(AdamEpsilon >= 0, nameof(AdamEpsilon), AdamEpsilon, "0 or more");
        Require(MaxGradNorm >= 0, nameof(MaxGradNorm), MaxGradNorm, "0 (no clipping) or more");
        Require(MaxSteps > 0 || (NumTrainEpochs > 0 && double.IsFinite(NumTrainEpochs)), nameof(NumTrainEpochs), NumTrainEpochs,
            "above 0 (or set MaxSteps)");
        Require(MaxSteps == -1 || MaxSteps > 0, nameof(MaxSteps), MaxSteps, "-1 (use NumTrainEpochs) or at least 1");
        Require(WarmupRatio is >= 0 and < 1, nameof(WarmupRatio), WarmupRatio, "in [0, 1)");
        Require(WarmupSteps >= 0, nameof(WarmupSteps), WarmupSteps, "0 or more");
        Require(EvalDelay >= 0, nameof(EvalDelay), EvalDelay, "0 or more");
        Require(DataloaderPrefetchFactor >= 0, nameof(DataloaderPrefetchFactor), DataloaderPrefetchFactor, "0 or more");
        Require(SaveTotalLimit is null or >= 0, nameof(SaveTotalLimit), SaveTotalLimit, "null (keep all) or 0 or more");

        ValidateEarlyStoppingRanges();
        ValidateEvaluationSettings();
        ValidateMemorySettings();

        if (LoggingStrategy == IntervalStrategy.Steps) RequireSteps(nameof(LoggingSteps), LoggingSteps);
        if (SaveStrategy == SaveStrategy.Steps) RequireSteps(nameof(SaveSteps), SaveSteps);
        if (EvalStrategy == IntervalStrategy.Steps)
        {
            if (EvalSteps is { } evalSteps) RequireSteps(nameof(EvalSteps), evalSteps);
            else RequireSteps(nameof(LoggingSteps) + " (used because EvalSteps is null)", LoggingSteps);
        }

        if (LoadBestModelAtEnd)
        {
            if (EvalStrategy == IntervalStrategy.No)
                throw new ArgumentException(
                    "TrainingArguments.LoadBestModelAtEnd needs evaluations to pick the best model, but EvalStrategy is No; " +
                    "set EvalStrategy to Steps or Epoch.", nameof(LoadBestModelAtEnd));
            if (SaveStrategy != SaveStrategy.Best && (int)SaveStrategy != (int)EvalStrategy)
                throw new ArgumentException(
                    $"TrainingArguments.LoadBestModelAtEnd requires the save and eval strategies to match, but SaveStrategy is {SaveStrategy} " +
                    $"and EvalStrategy is {EvalStrategy}.", nameof(LoadBestModelAtEnd));
            if (EvalStrategy == IntervalStrategy.Steps && SaveStrategy == SaveStrategy.Steps
                && SaveSteps >= 1 && ResolvedEvalSteps >= 1
                && SaveSteps % ResolvedEvalSteps != 0)
                throw new ArgumentException(
                    $"TrainingArguments.LoadBestModelAtEnd requires SaveSteps to be a multiple of EvalSteps, but SaveSteps is " +
                    $"{Format(SaveSteps)} and EvalSteps is {Format(ResolvedEvalSteps)}.", nameof(SaveSteps));
        }
        // HF __post_init__: "lr_scheduler_type reduce_lr_on_plateau requires an eval strategy".
        if (LrSchedulerType == SchedulerType.ReduceLROnPlateau && EvalStrategy == IntervalStrategy.No)
            throw new ArgumentException(
                "TrainingArguments.LrSchedulerType is ReduceLROnPlateau, which steps with the evaluation metric, but EvalStrategy is No; " +
                "set EvalStrategy to Steps or Epoch.", nameof(LrSchedulerType));
        Require(LabelSmoothingFactor is >= 0 and <= 1, nameof(LabelSmoothingFactor), LabelSmoothingFactor, "in [0, 1] (0: no smoothing)");
        if (SaveStrategy == SaveStrategy.Best && ResolvedMetricForBestModel is null)
            throw new ArgumentException(
                "TrainingArguments.SaveStrategy is Best, which needs MetricForBestModel (or LoadBestModelAtEnd, which defaults it to loss).",
                nameof(SaveStrategy));

        if (Bf16 && Fp16)
            throw new ArgumentException("TrainingArguments.Bf16 and Fp16 are both set; choose one precision.", nameof(Fp16));
        if (Bf16FullEval && Fp16FullEval)
            throw new ArgumentException("TrainingArguments.Bf16FullEval and Fp16FullEval are both set; choose one precision.", nameof(Fp16FullEval));

        foreach (string target in ReportTo)
            Require(Array.IndexOf(KnownReportTargets, target) >= 0, nameof(ReportTo), target, "one of " + string.Join(", ", KnownReportTargets));

        if (LrSchedulerKwargs is not null)
            foreach (var (key, value) in LrSchedulerKwargs)
            {
                Require(Array.IndexOf(KnownSchedulerKwargs, key) >= 0, nameof(LrSchedulerKwargs), key,
                    "one of " + string.Join(", ", KnownSchedulerKwargs));
                Require(double.IsFinite(value), nameof(LrSchedulerKwargs) + "[" + key + "]", value, "a finite number");
            }

        if (Device is not null)
        {
            try { _ = new torch.Device(Device); }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new ArgumentException($"TrainingArguments.Device is '{Device}'; use cpu, cuda or cuda:N.", nameof(Device), e);
            }
        }
    }

    /// <summary><see cref="EvalSteps"/>, or <see cref="LoggingSteps"/> when it is null (HF's rule).</summary>
    public double ResolvedEvalSteps => EvalSteps ?? LoggingSteps;

    /// <summary>
    /// The metric that picks the best checkpoint, with its <c>eval_</c> prefix, or null when none is
    /// tracked. HF: <c>load_best_model_at_end</c> or the <c>reduce_lr_on_plateau</c> schedule without
    /// <c>metric_for_best_model</c> means <c>loss</c>.
    /// </summary>
    public string? ResolvedMetricForBestModel
    {
        get
        {
            string? metric = MetricForBestModel ?? (LoadBestModelAtEnd || LrSchedulerType == SchedulerType.ReduceLROnPlateau ? "loss" : null);
            if (metric is null) return null;
            return metric.StartsWith("eval_", StringComparison.Ordinal) ? metric : "eval_" + metric;
        }
    }

    /// <summary>HF: unless set, a larger metric is better when its name does not end in <c>loss</c>.</summary>
    public bool ResolvedGreaterIsBetter =>
        GreaterIsBetter ?? !(ResolvedMetricForBestModel ?? "loss").EndsWith("loss", StringComparison.Ordinal);

    /// <summary>The data-order seed: <see cref="DataSeed"/>, or <see cref="Seed"/>.</summary>
    public int ResolvedDataSeed => DataSeed ?? Seed;

    /// <summary>Warmup steps for a run of <paramref name="trainingSteps"/> steps (HF's <c>get_warmup_steps</c>).</summary>
    public int WarmupStepsFor(int trainingSteps) =>
        WarmupSteps > 0 ? WarmupSteps : (int)Math.Ceiling(trainingSteps * WarmupRatio);

    /// <summary>
    /// Turns a steps setting into whole steps: values below 1 are a fraction of
    /// <paramref name="maxSteps"/>, rounded up (HF's rule for logging, eval and save steps).
    /// </summary>
    public static int ResolveSteps(double steps, int maxSteps) =>
        steps < 1 ? (int)Math.Ceiling(maxSteps * steps) : (int)steps;

    /// <summary>
    /// The folder logs are written to: <see cref="LoggingDir"/>, else HF's default <c>{OutputDir}/runs/{time}_{host}</c>,
    /// with the time taken once per arguments object (HF computes it once in <c>__post_init__</c>), so every log of a
    /// run lands in one folder.
    /// </summary>
    public string ResolvedLoggingDir => LoggingDir ?? DefaultLoggingDirs.GetValue(this, static args => Path.Combine(args.OutputDir, "runs",
        DateTime.Now.ToString("MMMdd_HH-mm-ss", CultureInfo.InvariantCulture) + "_" + Environment.MachineName));

    // By reference, not by the record's value equality: two equal arguments objects made at different times are two runs.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TrainingArguments, string> DefaultLoggingDirs = new();

    /// <summary>Whether log entries go to <paramref name="target"/> (<c>console</c>, <c>jsonl</c> or <c>tensorboard</c>).</summary>
    public bool Reports(string target) =>
        !ReportTo.Contains("none") && (ReportTo.Contains("all") || ReportTo.Contains(target));

    /// <summary>The device training runs on: <see cref="Device"/>, else CUDA when available and not <see cref="UseCpu"/>.</summary>
    public torch.Device ResolveDevice() =>
        Device is not null ? new torch.Device(Device)
        : !UseCpu && torch.cuda.is_available() ? torch.CUDA
        : torch.CPU;

    private static void RequireSteps(string name, double value)
    {
        Require(value > 0 && double.IsFinite(value), name, value, "above 0 with a Steps strategy");
        Require(value < 1 || value == Math.Floor(value), name, value, "a whole number when 1 or more (below 1 it is a fraction of the training steps)");
    }

    private static void Require(bool ok, string name, object? value, string allowed)
    {
        if (!ok)
            throw new ArgumentException(
                $"TrainingArguments.{name} is {Format(value)}; it must be {allowed}.", name.Split(' ')[0]);
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        string s => "'" + s + "'",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null",
    };
}
