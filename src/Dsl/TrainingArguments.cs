namespace Dsl;

/// <summary>
/// The knobs of a training run, with Hugging Face <c>TrainingArguments</c>' names in PascalCase and
/// its defaults, so a Python user finds every setting where they expect it. Validated when training
/// starts (<see cref="Validate"/>); a setting that can never work is also reported at compile time
/// where it is a constant.
/// </summary>
public sealed partial record TrainingArguments
{
    /// <summary>Where checkpoints go: <c>{OutputDir}/checkpoint-{step}</c>. HF default <c>trainer_output</c>.</summary>
    public string OutputDir { get; init; } = "trainer_output";

    /// <summary>When to evaluate during training. Default <see cref="IntervalStrategy.No"/>.</summary>
    public IntervalStrategy EvalStrategy { get; init; } = IntervalStrategy.No;

    /// <summary>Examples per training batch. Default 8.</summary>
    public int PerDeviceTrainBatchSize { get; init; } = 8;

    /// <summary>Examples per evaluation batch. Default 8.</summary>
    public int PerDeviceEvalBatchSize { get; init; } = 8;

    /// <summary>Batches whose gradients add up before one optimizer step. Default 1.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Steps (or epochs, with an epoch strategy) to wait before the first evaluation. Default 0.</summary>
    public double EvalDelay { get; init; }

    /// <summary>The initial learning rate of the default AdamW and of the schedules. Default 5e-5.</summary>
    public double LearningRate { get; init; } = 5e-5;

    /// <summary>Weight decay of the default optimizer, applied to all but biases and LayerNorm weights. Default 0.</summary>
    public double WeightDecay { get; init; }

    /// <summary>AdamW's β1. Default 0.9.</summary>
    public double AdamBeta1 { get; init; } = 0.9;

    /// <summary>AdamW's β2. Default 0.999.</summary>
    public double AdamBeta2 { get; init; } = 0.999;

    /// <summary>AdamW's ε. Default 1e-8.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>Gradients are clipped to this global L2 norm before each optimizer step; 0 turns clipping off. Default 1.0.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Epochs to train (fractions stop part-way through the last one). Default 3.</summary>
    public double NumTrainEpochs { get; init; } = 3.0;

    /// <summary>When positive, the number of optimizer steps to train; overrides <see cref="NumTrainEpochs"/>. Default -1.</summary>
    public int MaxSteps { get; init; } = -1;

    /// <summary>The schedule a trainer without <c>[Scheduler]</c> uses. Default <see cref="SchedulerType.Linear"/>.</summary>
    public SchedulerType LrSchedulerType { get; init; } = SchedulerType.Linear;

    /// <summary>
    /// Extra schedule settings (HF's <c>lr_scheduler_kwargs</c>): <c>num_cycles</c> (cosine), <c>power</c> and
    /// <c>lr_end</c> (polynomial), <c>min_lr</c> or <c>min_lr_rate</c> (cosine with min lr), <c>num_decay_steps</c>,
    /// <c>num_stable_steps</c>, <c>min_lr_ratio</c> (warmup-stable-decay), <c>factor</c>, <c>patience</c>,
    /// <c>threshold</c>, <c>cooldown</c>, <c>min_lr</c>, <c>eps</c> (reduce on plateau).
    /// </summary>
    public IReadOnlyDictionary<string, double>? LrSchedulerKwargs { get; init; }

    /// <summary>Fraction of the training steps spent warming up, when <see cref="WarmupSteps"/> is 0. Default 0.</summary>
    public double WarmupRatio { get; init; }

    /// <summary>Optimizer steps of linear warmup; overrides <see cref="WarmupRatio"/>. Default 0.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Where the JSON Lines log and TensorBoard event files go. Default <c>{OutputDir}/runs/{date}_{host}</c>.</summary>
    public string? LoggingDir { get; init; }

    /// <summary>When to log. Default <see cref="IntervalStrategy.Steps"/>.</summary>
    public IntervalStrategy LoggingStrategy { get; init; } = IntervalStrategy.Steps;

    /// <summary>Also log after the first optimizer step. Default false.</summary>
    public bool LoggingFirstStep { get; init; }

    /// <summary>Optimizer steps between logs; a value below 1 is a fraction of the training steps. Default 500.</summary>
    public double LoggingSteps { get; init; } = 500;

    /// <summary>A NaN or infinite step loss counts as the mean of the window so far, as in HF. Default true.</summary>
    public bool LoggingNanInfFilter { get; init; } = true;

    /// <summary>
    /// What a NaN or infinite loss or gradient norm does. The first one is always a warning naming the
    /// step. Default <see cref="NonFiniteLossPolicy.CarryOn"/>, as HF.
    /// </summary>
    public NonFiniteLossPolicy NonFiniteLoss { get; init; } = NonFiniteLossPolicy.CarryOn;

    /// <summary>When to save checkpoints. Default <see cref="Dsl.SaveStrategy.Steps"/>.</summary>
    public SaveStrategy SaveStrategy { get; init; } = SaveStrategy.Steps;

    /// <summary>Optimizer steps between checkpoints; a value below 1 is a fraction of the training steps. Default 500.</summary>
    public double SaveSteps { get; init; } = 500;

    /// <summary>Keep at most this many checkpoints (never deleting the best one); null or 0 keeps all (HF's rule). Default null.</summary>
    public int? SaveTotalLimit { get; init; }

    /// <summary>Save only the model weights in checkpoints (no optimizer, schedule or RNG state: cannot resume). Default false.</summary>
    public bool SaveOnlyModel { get; init; }

    /// <summary>Seeds torch when training starts, so two runs give identical results. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Seeds the training data order; null uses <see cref="Seed"/>. Default null.</summary>
    public int? DataSeed { get; init; }

    /// <summary>Optimizer steps between evaluations with <see cref="IntervalStrategy.Steps"/>; null uses <see cref="LoggingSteps"/>.</summary>
    public double? EvalSteps { get; init; }

    /// <summary>
    /// Group each epoch's shuffled training order into batches of similar length (HF's <c>group_by_length</c>),
    /// so they need less padding. The examples must implement <see cref="Data.IHasLength"/>. Default false.
    /// </summary>
    public bool GroupByLength { get; init; }

    /// <summary>Drop the last incomplete batch of the training and evaluation data. Default false.</summary>
    public bool DataloaderDropLast { get; init; }

    /// <summary>Batches collated ahead on a background thread; 0 collates on the training thread. Default 2.</summary>
    public int DataloaderPrefetchFactor { get; init; } = 2;

    /// <summary>Load the best checkpoint's weights when training ends. Default false.</summary>
    public bool LoadBestModelAtEnd { get; init; }

    /// <summary>The metric that picks the best checkpoint (with or without <c>eval_</c>); default <c>loss</c> with <see cref="LoadBestModelAtEnd"/>.</summary>
    public string? MetricForBestModel { get; init; }

    /// <summary>Whether a larger <see cref="MetricForBestModel"/> is better; default: true unless the name ends in <c>loss</c>.</summary>
    public bool? GreaterIsBetter { get; init; }

    /// <summary>The optimizer of a trainer without <c>[Optimizer]</c>. Default <see cref="OptimizerType.AdamWTorch"/>.</summary>
    public OptimizerType Optim { get; init; } = OptimizerType.AdamWTorch;

    /// <summary>
    /// Mixed precision with bfloat16 (HF's <c>bf16</c>): the model computes in bf16 while the optimizer
    /// steps float32 weights with float32 gradients, and checkpoints hold float32. A model implementing
    /// <see cref="IMixedPrecisionModel"/> casts inside its own forward; any other module trains on bf16
    /// working copies of its weights with float32 masters (normalisation layers stay float32), and its
    /// batches' floating-point tensors are cast to bf16. Default false.
    /// </summary>
    public bool Bf16 { get; init; }

    /// <summary>
    /// Mixed precision with float16 and dynamic loss scaling (HF's <c>fp16</c>, PyTorch's
    /// <c>GradScaler</c>): as <see cref="Bf16"/> in float16, with the loss multiplied by a scale
    /// (2^16 at first, halved on an overflowing step, which is skipped with its schedule step, and
    /// doubled after 2,000 steps without one); the gradients are unscaled before clipping. The scale
    /// is saved in <c>trainer_state.json</c>. Default false.
    /// </summary>
    public bool Fp16 { get; init; }

    /// <summary>
    /// Evaluate outside training with the whole model in bfloat16, normalisation layers included (HF's
    /// <c>bf16_full_eval</c>): faster and smaller, possibly less accurate. The float32 weights come
    /// back after the evaluation. A model implementing <see cref="IMixedPrecisionModel"/> computes as
    /// its own casts say, as under <see cref="Bf16"/>. Default false.
    /// </summary>
    public bool Bf16FullEval { get; init; }

    /// <summary>As <see cref="Bf16FullEval"/> in float16 (HF's <c>fp16_full_eval</c>). Default false.</summary>
    public bool Fp16FullEval { get; init; }

    /// <summary>Train on the CPU even where CUDA is available. Default false.</summary>
    public bool UseCpu { get; init; }

    /// <summary>
    /// Keep the running loss and the gradient norm on the device even on the CPU, as on an accelerator (the CPU
    /// reads them on the host, where it costs no wait). For tests that compare both paths; not a user setting.
    /// </summary>
    internal bool KeepLossOnDevice { get; init; }

    /// <summary>The device to train on (<c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>); null picks CUDA when available.</summary>
    public string? Device { get; init; }

    /// <summary>
    /// Where logs go: <c>all</c> (default), <c>none</c>, or a list of <c>console</c>, <c>jsonl</c> and
    /// <c>tensorboard</c> (event files under <see cref="LoggingDir"/>).
    /// </summary>
    public IReadOnlyList<string> ReportTo { get; init; } = ["all"];

    /// <summary>Hide the progress bars (HF's <c>disable_tqdm</c>); log lines still go where <see cref="ReportTo"/> says. Default false.</summary>
    public bool DisableTqdm { get; init; }

    /// <summary>A name for the run, shown in logs. Default: the output folder's name.</summary>
    public string? RunName { get; init; }

    /// <summary>
    /// HF's <c>label_smoothing_factor</c>: the weight of the uniform distribution mixed into the one-hot labels
    /// of a cross-entropy loss. A train step applies it by computing its loss with
    /// <see cref="Losses.CrossEntropy(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TrainingArguments, bool)"/>;
    /// 0 is plain cross-entropy. Default 0.
    /// </summary>
    public double LabelSmoothingFactor { get; init; }

    /// <summary>Evaluation computes only the loss, even when the trainer declares metrics. Default false.</summary>
    public bool PredictionLossOnly { get; init; }
}
