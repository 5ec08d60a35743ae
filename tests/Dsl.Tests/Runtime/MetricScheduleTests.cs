using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using Dsl.Tests.Support;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl.Tests.Runtime;

/// <summary>
/// The schedules added from HF's <c>get_scheduler</c> table (inverse_sqrt, cosine_with_min_lr,
/// warmup_stable_decay, reduce_lr_on_plateau), against values worked out by hand from
/// transformers/optimization.py at chosen steps (HF tests/optimization/test_optimization.py,
/// ScheduleInitTest.test_schedulers: initial rate 10, 2 warmup steps, 10 training steps).
/// </summary>
public sealed class MetricScheduleTests
{
    private static Optimizer Sgd(double rate = 10.0) => SGD(TinyNet.Create().parameters(), learningRate: rate);

    private static double[] Rates(LRScheduler schedule, int steps)
    {
        var rates = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            rates[i] = Schedules.LastLearningRate(schedule);
            schedule.step();
        }
        return rates;
    }

    [Fact]
    public void Inverse_sqrt_matches_HFs_test_schedulers_values()
    {
        // Warmup 0, 5, then 10 / sqrt(step / 2): 10, 8.1650, 7.0711, 6.3246, 5.7735, 5.3452, 5, 4.7140.
        double[] expected = [0.0, 5.0, 10.0, 8.164966, 7.071068, 6.324555, 5.773503, 5.345225, 5.0, 4.714045];
        var rates = Rates(Schedules.Create(SchedulerType.InverseSqrt, Sgd(), 2, 10), 10);
        for (int i = 0; i < 10; i++) Assert.Equal(expected[i], rates[i], 6);
    }

    [Fact]
    public void Inverse_sqrt_without_warmup_uses_HFs_timescale_of_10000()
    {
        var rates = Rates(Schedules.InverseSqrt(Sgd(), 0), 2);
        Assert.Equal(10.0, rates[0]);
        Assert.Equal(10.0 / Math.Sqrt(10001.0 / 10000.0), rates[1], 12);   // 9.9995000375
    }

    [Fact]
    public void Warmup_stable_decay_matches_HFs_test_schedulers_values()
    {
        // HF kwargs {num_decay_steps: 2, min_lr_ratio: 0.1}: warmup from 0.1 × 10, 6 stable steps,
        // cosine decay over 2 steps (step 9: half-way, 0.5 × 0.9 + 0.1), then the floor.
        var kwargs = new Dictionary<string, double> { ["num_decay_steps"] = 2, ["min_lr_ratio"] = 0.1 };
        double[] expected = [1.0, 5.5, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 5.5, 1.0, 1.0];
        var rates = Rates(Schedules.Create(SchedulerType.WarmupStableDecay, Sgd(), 2, 10, kwargs), 12);
        for (int i = 0; i < 12; i++) Assert.Equal(expected[i], rates[i], 12);
    }

    [Fact]
    public void Warmup_stable_decay_has_HFs_cosine_warmup_and_one_minus_sqrt_decay()
    {
        var schedule = Schedules.WarmupStableDecay(Sgd(1.0), warmupSteps: 4, decaySteps: 4, stableSteps: 2,
            warmupShape: PhaseShape.Cosine, decayShape: PhaseShape.OneMinusSqrt);
        // Warmup 0.5 × (1 - cos(π × s/4)); decay 1 - sqrt((s - 6) / 4).
        double[] expected = [0, 0.14644660940672624, 0.5, 0.85355339059327373, 1, 1, 1, 0.5, 0.29289321881345243, 0.1339745962155614, 0, 0];
        var rates = Rates(schedule, 12);
        for (int i = 0; i < 12; i++) Assert.Equal(expected[i], rates[i], 12);
    }

    [Fact]
    public void Warmup_stable_decay_without_num_decay_steps_is_refused_by_name()
    {
        var e = Assert.Throws<ArgumentException>(() => Schedules.Create(SchedulerType.WarmupStableDecay, Sgd(), 2, 10));
        Assert.Contains("num_decay_steps", e.Message);
    }

    [Fact]
    public void Cosine_with_min_lr_decays_to_the_floor_from_min_lr_or_min_lr_rate()
    {
        // Cosine over 8 steps scaled into [0.1, 1]: step 6 is half-way, 0.5 × 0.9 + 0.1 = 0.55.
        double[] expected = [0.0, 5.0, 10.0, 9.65745789630079, 8.681980515339463, 7.222075445642904, 5.5,
            3.777924554357096, 2.3180194846605366, 1.3425421036992096, 1.0];
        var byRate = Rates(Schedules.Create(SchedulerType.CosineWithMinLr, Sgd(), 2, 10,
            new Dictionary<string, double> { ["min_lr_rate"] = 0.1 }), 11);
        var byFloor = Rates(Schedules.Create(SchedulerType.CosineWithMinLr, Sgd(), 2, 10,
            new Dictionary<string, double> { ["min_lr"] = 1.0 }), 11);
        for (int i = 0; i < 11; i++)
        {
            Assert.Equal(expected[i], byRate[i], 12);
            Assert.Equal(expected[i], byFloor[i], 12);
        }
    }

    [Fact]
    public void Cosine_with_min_lr_ends_at_min_lr()
    {
        // HF test_trainer.py test_cosine_with_min_lr_scheduler: rate 0.2, 2 warmup steps, 10 steps, min_lr 1e-5.
        var schedule = Schedules.Create(SchedulerType.CosineWithMinLr, Sgd(0.2), 2, 10, new Dictionary<string, double> { ["min_lr"] = 1e-5 });
        for (int i = 0; i < 10; i++) schedule.step();
        Assert.Equal(1e-5, Schedules.LastLearningRate(schedule), 15);
    }

    [Fact]
    public void Cosine_with_min_lr_needs_exactly_one_floor_as_HF_does()
    {
        Assert.Contains("min_lr or min_lr_rate", Assert.Throws<ArgumentException>(
            () => Schedules.Create(SchedulerType.CosineWithMinLr, Sgd(), 2, 10)).Message);
        Assert.Contains("not both", Assert.Throws<ArgumentException>(
            () => Schedules.CosineWithMinLr(Sgd(), 2, 10, minLr: 1, minLrRate: 0.1)).Message);
    }

    [Fact]
    public void Reduce_lr_on_plateau_ignores_the_per_step_call_and_drops_after_patience()
    {
        var optimizer = Sgd(1.0);
        var plateau = Schedules.ReduceLROnPlateau(optimizer, factor: 0.5, patience: 1, threshold: 0);
        for (int i = 0; i < 5; i++) plateau.step();   // the loop's per-step call: no change
        Assert.Equal(1.0, Schedules.LastLearningRate(plateau));

        double[] metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8];
        double[] after = [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25];
        for (int i = 0; i < metrics.Length; i++)
        {
            plateau.Observe(metrics[i]);
            Assert.Equal(after[i], optimizer.ParamGroups.First().LearningRate);
            Assert.Equal(after[i], Schedules.LastLearningRate(plateau));
        }
        Assert.Equal(0.8, plateau.Best);
    }

    [Fact]
    public void Reduce_lr_on_plateau_args_reach_the_schedule()
    {
        // HF test_trainer.py test_reduce_lr_on_plateau_args: lr_scheduler_kwargs reach the PyTorch scheduler.
        var kwargs = new Dictionary<string, double> { ["factor"] = 0.2, ["patience"] = 5, ["cooldown"] = 2, ["threshold"] = 0.01, ["min_lr"] = 1e-3 };
        var plateau = Assert.IsType<PlateauSchedule>(Schedules.Create(SchedulerType.ReduceLROnPlateau, Sgd(), 0, 10, kwargs));
        Assert.Equal((0.2, 5, 2, 0.01, 1e-3), (plateau.FactorValue, plateau.Patience, plateau.Cooldown, plateau.Threshold, plateau.MinLr));
        Assert.Equal(PlateauMode.Min, plateau.Mode);
    }

    [Fact]
    public void Reduce_lr_on_plateau_respects_cooldown_min_lr_and_max_mode()
    {
        var optimizer = Sgd(1.0);
        var plateau = Schedules.ReduceLROnPlateau(optimizer, PlateauMode.Max, factor: 0.1, patience: 0, threshold: 0,
            cooldown: 1, minLr: 0.05);
        plateau.Observe(0.5);   // best
        plateau.Observe(0.4);   // bad 1 > 0: 1 → 0.1, cooldown 1
        Assert.Equal(0.1, optimizer.ParamGroups.First().LearningRate, 12);
        plateau.Observe(0.4);   // in the cooldown: not counted
        Assert.Equal(0.1, optimizer.ParamGroups.First().LearningRate, 12);
        plateau.Observe(0.4);   // bad again: 0.1 × 0.1 is below the floor, 0.05
        Assert.Equal(0.05, optimizer.ParamGroups.First().LearningRate, 12);
    }

    [Fact]
    public void Reduce_lr_on_plateau_state_survives_a_checkpoint()
    {
        using var temp = new TempDirectory();
        var first = Schedules.ReduceLROnPlateau(Sgd(1.0), factor: 0.5, patience: 1, threshold: 0);
        foreach (double metric in new[] { 1.0, 1.1, 1.2, 1.3 }) first.Observe(metric);   // one drop, then one bad evaluation
        Checkpoint.SaveScheduler(first, 4, temp["scheduler.json"]);

        var optimizer = Sgd(1.0);
        var second = Schedules.ReduceLROnPlateau(optimizer, factor: 0.5, patience: 1, threshold: 0);
        Assert.Null(Checkpoint.RestoreScheduler(second, temp["scheduler.json"]));
        Assert.Equal((first.Best, first.BadEvaluations, first.CooldownCounter, first.Evaluations),
            (second.Best, second.BadEvaluations, second.CooldownCounter, second.Evaluations));
        Assert.Equal(0.5, optimizer.ParamGroups.First().LearningRate);
        second.Observe(1.4);   // the second bad evaluation in a row: drops again, as the first would have
        Assert.Equal(0.25, optimizer.ParamGroups.First().LearningRate);
        Assert.Equal("ReduceLROnPlateau", JsonNode.Parse(File.ReadAllText(temp["scheduler.json"]))!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Reduce_lr_on_plateau_requires_an_eval_strategy()
    {
        // HF TrainingArguments.__post_init__ (test_training_arguments.py test_reduce_on_plateau_requires_eval).
#pragma warning disable DSL048 // the run-time check that DSL048 reports at compile time
        var e = Assert.Throws<ArgumentException>(() => new TrainingArguments { LrSchedulerType = SchedulerType.ReduceLROnPlateau }.Validate());
        Assert.Contains("EvalStrategy is No", e.Message);
        Assert.Equal("eval_loss", new TrainingArguments { LrSchedulerType = SchedulerType.ReduceLROnPlateau }.ResolvedMetricForBestModel);
#pragma warning restore DSL048
    }
}
