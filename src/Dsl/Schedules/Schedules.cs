using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl;

/// <summary>
/// Hugging Face's learning-rate schedules (<c>transformers.optimization</c>), with the same formula
/// at every step. Each returns a <see cref="LambdaSchedule"/>; a <c>[Scheduler]</c> method can call
/// them: <c>Schedules.Linear(optimizer, warmupSteps: 0, trainingSteps)</c>.
/// </summary>
public static partial class Schedules
{
    /// <summary>HF <c>get_constant_schedule</c>: the initial rate throughout.</summary>
    public static LambdaSchedule Constant(Optimizer optimizer) =>
        new(optimizer, static _ => 1.0, "constant");

    /// <summary>HF <c>get_constant_schedule_with_warmup</c>: linear warmup from 0, then constant.</summary>
    public static LambdaSchedule ConstantWithWarmup(Optimizer optimizer, int warmupSteps)
    {
        RequireSteps(warmupSteps, 0);
        return new(optimizer, step => step < warmupSteps ? Warmup(step, warmupSteps) : 1.0, "constant_with_warmup");
    }

    /// <summary>HF <c>get_linear_schedule_with_warmup</c>: linear warmup from 0, then linear decay to 0 at <paramref name="trainingSteps"/>.</summary>
    public static LambdaSchedule Linear(Optimizer optimizer, int warmupSteps, int trainingSteps)
    {
        RequireSteps(warmupSteps, trainingSteps);
        return new(optimizer, step => step < warmupSteps
            ? Warmup(step, warmupSteps)
            : Math.Max(0.0, (double)(trainingSteps - step) / Math.Max(1, trainingSteps - warmupSteps)), "linear");
    }

    /// <summary>HF <c>get_cosine_schedule_with_warmup</c>: linear warmup, then a cosine over <paramref name="numCycles"/> periods (default half a period, down to 0).</summary>
    public static LambdaSchedule Cosine(Optimizer optimizer, int warmupSteps, int trainingSteps, double numCycles = 0.5)
    {
        RequireSteps(warmupSteps, trainingSteps);
        return new(optimizer, step =>
        {
            if (step < warmupSteps) return Warmup(step, warmupSteps);
            double progress = Progress(step, warmupSteps, trainingSteps);
            return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * numCycles * 2.0 * progress)));
        }, "cosine");
    }

    /// <summary>HF <c>get_cosine_with_hard_restarts_schedule_with_warmup</c>: linear warmup, then <paramref name="numCycles"/> cosines that each restart at the initial rate.</summary>
    public static LambdaSchedule CosineWithRestarts(Optimizer optimizer, int warmupSteps, int trainingSteps, int numCycles = 1)
    {
        RequireSteps(warmupSteps, trainingSteps);
        if (numCycles < 1) throw new ArgumentOutOfRangeException(nameof(numCycles), numCycles, "numCycles must be at least 1.");
        return new(optimizer, step =>
        {
            if (step < warmupSteps) return Warmup(step, warmupSteps);
            double progress = Progress(step, warmupSteps, trainingSteps);
            if (progress >= 1.0) return 0.0;
            return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * ((numCycles * progress) % 1.0))));
        }, "cosine_with_restarts");
    }

    /// <summary>HF <c>get_polynomial_decay_schedule_with_warmup</c>: linear warmup, then polynomial decay from the initial rate to <paramref name="lrEnd"/>.</summary>
    public static LambdaSchedule Polynomial(Optimizer optimizer, int warmupSteps, int trainingSteps, double lrEnd = 1e-7, double power = 1.0)
    {
        RequireSteps(warmupSteps, trainingSteps);
        double lrInit = optimizer.ParamGroups.First().InitialLearningRate;
        if (!(lrInit > lrEnd))
            throw new ArgumentOutOfRangeException(nameof(lrEnd), lrEnd, $"lr_end ({lrEnd}) must be smaller than the initial learning rate ({lrInit}).");
        return new(optimizer, step =>
        {
            if (step < warmupSteps) return Warmup(step, warmupSteps);
            int decaySteps = trainingSteps - warmupSteps;
            if (step > trainingSteps || decaySteps <= 0) return lrEnd / lrInit;
            double pctRemaining = 1 - (double)(step - warmupSteps) / decaySteps;
            double decay = (lrInit - lrEnd) * Math.Pow(pctRemaining, power) + lrEnd;
            return decay / lrInit;
        }, "polynomial");
    }

    /// <summary>HF <c>get_scheduler</c>: the schedule named by <paramref name="type"/>.</summary>
    /// <param name="type">Which schedule.</param>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="warmupSteps">Steps of linear warmup (ignored by <see cref="SchedulerType.Constant"/> and
    /// <see cref="SchedulerType.ReduceLROnPlateau"/>).</param>
    /// <param name="trainingSteps">Optimizer steps in the run.</param>
    /// <param name="kwargs">HF's <c>lr_scheduler_kwargs</c>: <c>num_cycles</c>, <c>power</c>, <c>lr_end</c>,
    /// <c>min_lr</c>, <c>min_lr_rate</c>, <c>num_decay_steps</c>, <c>num_stable_steps</c>, <c>min_lr_ratio</c>,
    /// and for the plateau schedule <c>factor</c>, <c>patience</c>, <c>threshold</c>, <c>cooldown</c>, <c>eps</c>
    /// (<c>min_lr</c> is its floor).</param>
    public static LRScheduler Create(SchedulerType type, Optimizer optimizer, int warmupSteps, int trainingSteps,
        IReadOnlyDictionary<string, double>? kwargs = null)
    {
        double Get(string key, double fallback) => kwargs is not null && kwargs.TryGetValue(key, out double v) ? v : fallback;
        double? Optional(string key) => kwargs is not null && kwargs.TryGetValue(key, out double v) ? v : null;
        return type switch
        {
            SchedulerType.Linear => Linear(optimizer, warmupSteps, trainingSteps),
            SchedulerType.Cosine => Cosine(optimizer, warmupSteps, trainingSteps, Get("num_cycles", 0.5)),
            SchedulerType.CosineWithRestarts => CosineWithRestarts(optimizer, warmupSteps, trainingSteps, (int)Get("num_cycles", 1)),
            SchedulerType.Polynomial => Polynomial(optimizer, warmupSteps, trainingSteps, Get("lr_end", 1e-7), Get("power", 1.0)),
            SchedulerType.Constant => Constant(optimizer),
            SchedulerType.ConstantWithWarmup => ConstantWithWarmup(optimizer, warmupSteps),
            // HF's get_scheduler passes no kwargs to inverse_sqrt: its timescale is the warmup (or 10,000).
            SchedulerType.InverseSqrt => InverseSqrt(optimizer, warmupSteps),
            SchedulerType.CosineWithMinLr => CosineWithMinLr(optimizer, warmupSteps, trainingSteps, Get("num_cycles", 0.5),
                Optional("min_lr"), Optional("min_lr_rate")),
            SchedulerType.WarmupStableDecay => WarmupStableDecay(optimizer, warmupSteps,
                Optional("num_decay_steps") is { } decay ? (int)decay : throw new ArgumentException(
                    "The warmup_stable_decay schedule needs num_decay_steps in TrainingArguments.LrSchedulerKwargs.", nameof(kwargs)),
                trainingSteps, Optional("num_stable_steps") is { } stable ? (int)stable : null,
                minLrRatio: Get("min_lr_ratio", 0), numCycles: Get("num_cycles", 0.5)),
            // HF's get_scheduler gives the plateau schedule its kwargs only: no warmup, no training steps.
            SchedulerType.ReduceLROnPlateau => ReduceLROnPlateau(optimizer, factor: Get("factor", 0.1), patience: (int)Get("patience", 10),
                threshold: Get("threshold", 1e-4), cooldown: (int)Get("cooldown", 0), minLr: Get("min_lr", 0), eps: Get("eps", 1e-8)),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown schedule."),
        };
    }

    /// <summary>
    /// The schedule of a trainer without <c>[Scheduler]</c>: <see cref="TrainingArguments.LrSchedulerType"/>
    /// with <see cref="TrainingArguments.WarmupSteps"/> or <see cref="TrainingArguments.WarmupRatio"/>.
    /// </summary>
    public static LRScheduler FromArguments(Optimizer optimizer, TrainingArguments args, int trainingSteps) =>
        Create(args.LrSchedulerType, optimizer, args.WarmupStepsFor(trainingSteps), trainingSteps, args.LrSchedulerKwargs);

    /// <summary>The rate of the first parameter group that <paramref name="scheduler"/> set last (HF's <c>_get_learning_rate</c>).</summary>
    public static double LastLearningRate(LRScheduler scheduler) =>
        scheduler.get_last_lr() is IList<double> rates ? rates[0] : scheduler.get_last_lr().First();

    private static double Warmup(int step, int warmupSteps) => (double)step / Math.Max(1, warmupSteps);

    private static double Progress(int step, int warmupSteps, int trainingSteps) =>
        (double)(step - warmupSteps) / Math.Max(1, trainingSteps - warmupSteps);

    private static void RequireSteps(int warmupSteps, int trainingSteps)
    {
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warmupSteps must be 0 or more.");
        if (trainingSteps < 0) throw new ArgumentOutOfRangeException(nameof(trainingSteps), trainingSteps, "trainingSteps must be 0 or more.");
    }
}
