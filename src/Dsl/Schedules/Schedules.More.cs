using static TorchSharp.torch.optim;

namespace Dsl;

/// <summary>The shape of a warmup or decay phase of <see cref="Schedules.WarmupStableDecay"/> (HF's <c>warmup_type</c> / <c>decay_type</c>).</summary>
public enum PhaseShape
{
    /// <summary><c>linear</c>.</summary>
    Linear,
    /// <summary><c>cosine</c>.</summary>
    Cosine,
    /// <summary><c>1-sqrt</c>.</summary>
    OneMinusSqrt,
}

public static partial class Schedules
{
    /// <summary>
    /// HF <c>get_inverse_sqrt_schedule</c>: linear warmup, then <c>1 / sqrt((step + timescale - warmup) / timescale)</c>.
    /// </summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="warmupSteps">Steps of linear warmup.</param>
    /// <param name="timescale">HF default: the warmup steps, or 10,000 when there is no warmup.</param>
    public static LambdaSchedule InverseSqrt(Optimizer optimizer, int warmupSteps, int? timescale = null)
    {
        RequireSteps(warmupSteps, 0);
        // HF: timescale = num_warmup_steps or 10_000 (0 warmup steps counts as unset).
        int scale = timescale ?? (warmupSteps > 0 ? warmupSteps : 10_000);
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(timescale), timescale, "timescale must be at least 1.");
        int shift = scale - warmupSteps;
        return new(optimizer, step => step < warmupSteps
            ? Warmup(step, warmupSteps)
            : 1.0 / Math.Sqrt((double)(step + shift) / scale), "inverse_sqrt");
    }

    /// <summary>
    /// HF <c>get_cosine_with_min_lr_schedule_with_warmup</c>: linear warmup, then a cosine from the initial
    /// rate down to a floor, <paramref name="minLr"/> or <paramref name="minLrRate"/> × the initial rate (give one).
    /// </summary>
    public static LambdaSchedule CosineWithMinLr(Optimizer optimizer, int warmupSteps, int trainingSteps, double numCycles = 0.5,
        double? minLr = null, double? minLrRate = null)
    {
        RequireSteps(warmupSteps, trainingSteps);
        if (minLr is not null && minLrRate is not null)
            throw new ArgumentException("cosine_with_min_lr takes min_lr or min_lr_rate, not both.", nameof(minLrRate));
        // HF: min_lr is turned into a rate of the optimizer's initial learning rate.
        double rate = minLr is { } floor ? floor / optimizer.ParamGroups.First().InitialLearningRate
            : minLrRate ?? throw new ArgumentException(
                "cosine_with_min_lr needs min_lr or min_lr_rate (in TrainingArguments.LrSchedulerKwargs).", nameof(minLr));
        return new(optimizer, step =>
        {
            if (step < warmupSteps) return Warmup(step, warmupSteps);
            double progress = Progress(step, warmupSteps, trainingSteps);
            double cosine = 0.5 * (1.0 + Math.Cos(Math.PI * numCycles * 2.0 * progress));
            return Math.Max(0.0, cosine * (1 - rate) + rate);
        }, "cosine_with_min_lr");
    }

    /// <summary>
    /// HF <c>get_wsd_schedule</c> (<c>warmup_stable_decay</c>): a warmup from <paramref name="minLrRatio"/> × the
    /// initial rate up to it, a stable phase at it, and a decay back to <paramref name="minLrRatio"/> × it, which
    /// holds after the decay.
    /// </summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="warmupSteps">Steps of warmup.</param>
    /// <param name="decaySteps">Steps of decay (HF's <c>num_decay_steps</c>, required).</param>
    /// <param name="trainingSteps">Steps in the run; the stable phase is what warmup and decay leave.</param>
    /// <param name="stableSteps">Steps of the stable phase; when given, it wins over <paramref name="trainingSteps"/>, as in HF.</param>
    /// <param name="warmupShape">HF's <c>warmup_type</c>, default linear.</param>
    /// <param name="decayShape">HF's <c>decay_type</c>, default cosine.</param>
    /// <param name="minLrRatio">The floor as a fraction of the initial rate.</param>
    /// <param name="numCycles">Periods of the cosine decay (HF default half a period).</param>
    public static LambdaSchedule WarmupStableDecay(Optimizer optimizer, int warmupSteps, int decaySteps, int? trainingSteps = null,
        int? stableSteps = null, PhaseShape warmupShape = PhaseShape.Linear, PhaseShape decayShape = PhaseShape.Cosine,
        double minLrRatio = 0, double numCycles = 0.5)
    {
        RequireSteps(warmupSteps, trainingSteps ?? 0);
        if (decaySteps < 0) throw new ArgumentOutOfRangeException(nameof(decaySteps), decaySteps, "num_decay_steps must be 0 or more.");
        int stable = stableSteps ?? (trainingSteps is { } total
            ? total - warmupSteps - decaySteps
            : throw new ArgumentException("warmup_stable_decay needs trainingSteps or stableSteps.", nameof(stableSteps)));
        if (stable < 0)
            throw new ArgumentOutOfRangeException(nameof(decaySteps), decaySteps,
                $"warmup ({warmupSteps}) and decay ({decaySteps}) steps are more than the {trainingSteps} training steps; " +
                "lower num_decay_steps or the warmup.");
        return new(optimizer, step =>
        {
            if (step < warmupSteps)
            {
                double progress = (double)step / Math.Max(1, warmupSteps);
                double up = warmupShape switch
                {
                    PhaseShape.Cosine => 0.5 * (1.0 - Math.Cos(Math.PI * progress)),
                    PhaseShape.OneMinusSqrt => 1.0 - Math.Sqrt(1.0 - progress),
                    _ => progress,
                };
                return Math.Max(0.0, up * (1.0 - minLrRatio) + minLrRatio);
            }
            if (step < warmupSteps + stable) return 1.0;
            if (step < warmupSteps + stable + decaySteps)
            {
                double progress = (double)(step - warmupSteps - stable) / Math.Max(1, decaySteps);
                double down = decayShape switch
                {
                    PhaseShape.Linear => 1.0 - progress,
                    PhaseShape.OneMinusSqrt => 1.0 - Math.Sqrt(progress),
                    _ => 0.5 * (1.0 + Math.Cos(Math.PI * numCycles * 2.0 * progress)),
                };
                return Math.Max(0.0, down * (1.0 - minLrRatio) + minLrRatio);
            }
            return minLrRatio;
        }, "warmup_stable_decay");
    }

    /// <summary>
    /// HF <c>get_reduce_on_plateau_schedule</c> (PyTorch's <c>ReduceLROnPlateau</c>): the rate stays until the
    /// evaluation metric stops improving, then drops by <paramref name="factor"/>. The loop steps it with
    /// <c>MetricForBestModel</c> (default <c>eval_loss</c>) after each evaluation, never per optimizer step.
    /// </summary>
    public static PlateauSchedule ReduceLROnPlateau(Optimizer optimizer, PlateauMode mode = PlateauMode.Min, double factor = 0.1,
        int patience = 10, double threshold = 1e-4, PlateauThresholdMode thresholdMode = PlateauThresholdMode.Relative,
        int cooldown = 0, double minLr = 0, double eps = 1e-8) =>
        new(optimizer, mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps);
}
