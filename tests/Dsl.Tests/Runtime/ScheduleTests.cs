using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch.optim;

namespace Dsl.Tests.Runtime;

/// <summary>Every schedule's rate at every step against HF's formulas (transformers/optimization.py).</summary>
[Collection(TorchState.Name)]
public sealed class ScheduleTests
{
    private const double BaseRate = 0.01;

    // HF's lr_lambda functions, written out from optimization.py.
    private static double HfFactor(SchedulerType type, int step, int warmup, int total, double cycles = double.NaN,
        double lrEnd = 1e-7, double power = 1.0)
    {
        if (type == SchedulerType.Constant) return 1.0;
        if (step < warmup) return (double)step / Math.Max(1, warmup);
        double progress = (double)(step - warmup) / Math.Max(1, total - warmup);
        switch (type)
        {
            case SchedulerType.ConstantWithWarmup: return 1.0;
            case SchedulerType.Linear: return Math.Max(0.0, (double)(total - step) / Math.Max(1, total - warmup));
            case SchedulerType.Cosine:
                return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * (double.IsNaN(cycles) ? 0.5 : cycles) * 2.0 * progress)));
            case SchedulerType.CosineWithRestarts:
                if (progress >= 1.0) return 0.0;
                return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * (((double.IsNaN(cycles) ? 1 : cycles) * progress) % 1.0))));
            case SchedulerType.Polynomial:
                if (step > total) return lrEnd / BaseRate;
                double remaining = 1 - (double)(step - warmup) / (total - warmup);
                return ((BaseRate - lrEnd) * Math.Pow(remaining, power) + lrEnd) / BaseRate;
        }
        throw new ArgumentOutOfRangeException(nameof(type));
    }

    private static Optimizer NewOptimizer() =>
        SGD(TinyNet.Create().parameters(), learningRate: BaseRate);

    [Theory]
    [InlineData(SchedulerType.Linear)]
    [InlineData(SchedulerType.Cosine)]
    [InlineData(SchedulerType.CosineWithRestarts)]
    [InlineData(SchedulerType.Polynomial)]
    [InlineData(SchedulerType.Constant)]
    [InlineData(SchedulerType.ConstantWithWarmup)]
    public void Every_schedule_gives_HFs_rate_at_every_step(SchedulerType type)
    {
        const int warmup = 4, total = 20;
        var optimizer = NewOptimizer();
        var schedule = Schedules.Create(type, optimizer, warmup, total);
        for (int step = 0; step <= total + 3; step++)
        {
            double expected = BaseRate * HfFactor(type, step, warmup, total);
            Assert.Equal(expected, Schedules.LastLearningRate(schedule));
            Assert.Equal(expected, optimizer.ParamGroups.First().LearningRate);
            schedule.step();
        }
    }

    [Fact]
    public void Schedule_kwargs_reach_the_schedules()
    {
        var kwargs = new Dictionary<string, double> { ["num_cycles"] = 3, ["power"] = 2.0, ["lr_end"] = 1e-4 };
        var restarts = Schedules.Create(SchedulerType.CosineWithRestarts, NewOptimizer(), 2, 30, kwargs);
        var polynomial = Schedules.Create(SchedulerType.Polynomial, NewOptimizer(), 2, 30, kwargs);
        for (int step = 0; step < 32; step++)
        {
            Assert.Equal(BaseRate * HfFactor(SchedulerType.CosineWithRestarts, step, 2, 30, cycles: 3), Schedules.LastLearningRate(restarts));
            Assert.Equal(BaseRate * HfFactor(SchedulerType.Polynomial, step, 2, 30, lrEnd: 1e-4, power: 2.0), Schedules.LastLearningRate(polynomial));
            restarts.step();
            polynomial.step();
        }
    }

    [Theory]
    [InlineData(SchedulerType.Linear)]
    [InlineData(SchedulerType.Cosine)]
    [InlineData(SchedulerType.CosineWithRestarts)]
    [InlineData(SchedulerType.Polynomial)]
    [InlineData(SchedulerType.Constant)]
    [InlineData(SchedulerType.ConstantWithWarmup)]
    public void A_trainer_without_Scheduler_logs_HFs_rate_for_its_LrSchedulerType(SchedulerType type)
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            LrSchedulerType = type, WarmupRatio = 0.2, LearningRate = BaseRate, LoggingSteps = 1, MaxSteps = 15,
        };
        var trainer = new DefaultsTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(40));

        int warmup = (int)Math.Ceiling(15 * 0.2);   // HF get_warmup_steps
        var rates = trainer.State.LogHistory.Where(e => e.ContainsKey("learning_rate")).ToList();
        Assert.Equal(15, rates.Count);
        foreach (var entry in rates)
            Assert.Equal(BaseRate * HfFactor(type, entry.Step - 1, warmup, 15), entry["learning_rate"]);
    }

    [Fact]
    public void Polynomial_refuses_an_end_rate_above_the_start()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.Polynomial(NewOptimizer(), 0, 10, lrEnd: 0.5));
        Assert.Contains("lr_end (0.5) must be smaller than the initial learning rate (0.01)", e.Message);
    }

    [Fact]
    public void Schedule_factor_lambda_starts_at_step_zero_like_LambdaLR()
    {
        var schedule = Schedules.Linear(NewOptimizer(), warmupSteps: 0, trainingSteps: 10);
        Assert.Equal(0, schedule.LastStep);
        Assert.Equal(BaseRate, Schedules.LastLearningRate(schedule));
        schedule.step();
        Assert.Equal(1, schedule.LastStep);
        Assert.Equal(BaseRate * 0.9, Schedules.LastLearningRate(schedule), 15);
    }
}
