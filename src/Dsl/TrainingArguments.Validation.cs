using System.Globalization;
using Dsl.Settings;
using TorchSharp;

namespace Dsl;

public sealed partial record TrainingArguments
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first setting that can never work and its
    /// allowed range. Hugging Face raises the same errors in <c>TrainingArguments.__post_init__</c>. The rules
    /// are the table in <c>src/Dsl/Settings/SettingRules.cs</c>, which the analyzers also read: what this
    /// rejects is reported at compile time where the settings are constants, with the same message.
    /// </summary>
    public void Validate() => ThrowIfBroken(RuleStage.Validate);

    /// <summary>
    /// HF's <c>EarlyStoppingCallback.on_train_begin</c> checks, made when training starts (an evaluation alone
    /// does not need them): early stopping needs evaluations and a metric to watch.
    /// </summary>
    internal void ValidateEarlyStopping() => ThrowIfBroken(RuleStage.TrainStart);

    private void ThrowIfBroken(RuleStage stage)
    {
        foreach (var broken in SettingRules.Check(new ArgumentsView(this), stage))
            throw new ArgumentException(broken.Message + ".", broken.Rule.Blame[0]);
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

    /// <summary>
    /// The device training runs on: <see cref="Device"/>, else CUDA when available and not <see cref="UseCpu"/>.
    /// Every run resolves its device when it starts, with libtorch loaded: the first time, this also checks that the
    /// start-up settings took effect (<see cref="Threading.LibTorchStartup.CheckEffects"/>).
    /// </summary>
    public torch.Device ResolveDevice()
    {
        var device = Device is not null ? new torch.Device(Device)
            : !UseCpu && torch.cuda.is_available() ? torch.CUDA
            : torch.CPU;
        Threading.LibTorchStartup.CheckEffects();
        return device;
    }
}
