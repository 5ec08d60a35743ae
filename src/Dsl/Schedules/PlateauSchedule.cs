using System.Text.Json.Nodes;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl;

/// <summary>Whether a lower or a higher metric is an improvement for <see cref="PlateauSchedule"/>.</summary>
public enum PlateauMode
{
    /// <summary>Lower is better (a loss); PyTorch's default.</summary>
    Min,
    /// <summary>Higher is better (an accuracy).</summary>
    Max,
}

/// <summary>How <see cref="PlateauSchedule"/> reads its threshold.</summary>
public enum PlateauThresholdMode
{
    /// <summary>An improvement beats the best by a fraction <c>threshold</c> of it (PyTorch's <c>rel</c>, the default).</summary>
    Relative,
    /// <summary>An improvement beats the best by <c>threshold</c> (PyTorch's <c>abs</c>).</summary>
    Absolute,
}

/// <summary>
/// PyTorch's <c>ReduceLROnPlateau</c>, the schedule of HF's <c>reduce_lr_on_plateau</c>: after
/// <see cref="Patience"/> evaluations without improvement the rate of every group is multiplied by
/// <see cref="FactorValue"/> (not below <see cref="MinLr"/>), then <see cref="Cooldown"/> evaluations pass
/// before it counts again. The per-step <c>step()</c> of the training loop does nothing: HF steps this
/// schedule only with a metric, after each evaluation.
/// </summary>
public sealed class PlateauSchedule : LRScheduler
{
    private readonly Optimizer _optimizer;
    private readonly double[] _minLrs;

    internal PlateauSchedule(Optimizer optimizer, PlateauMode mode, double factor, int patience, double threshold,
        PlateauThresholdMode thresholdMode, int cooldown, double minLr, double eps)
        : base(optimizer, -1, false)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        // PyTorch raises for a factor of 1 or more; the rest are our own range checks.
        if (!(factor is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor must be in (0, 1): the rate is multiplied by it.");
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), patience, "patience must be 0 or more.");
        if (cooldown < 0) throw new ArgumentOutOfRangeException(nameof(cooldown), cooldown, "cooldown must be 0 or more.");
        if (!(threshold >= 0)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be 0 or more.");
        if (!(minLr >= 0)) throw new ArgumentOutOfRangeException(nameof(minLr), minLr, "min_lr must be 0 or more.");
        _optimizer = optimizer;
        Mode = mode;
        FactorValue = factor;
        Patience = patience;
        Threshold = threshold;
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        MinLr = minLr;
        Eps = eps;
        _minLrs = optimizer.ParamGroups.Select(_ => minLr).ToArray();
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>Lower or higher is better.</summary>
    public PlateauMode Mode { get; }

    /// <summary>The multiplier applied to the rate on a plateau (PyTorch's <c>factor</c>).</summary>
    public double FactorValue { get; }

    /// <summary>Evaluations without improvement tolerated before the rate drops.</summary>
    public int Patience { get; }

    /// <summary>The least change that counts as an improvement.</summary>
    public double Threshold { get; }

    /// <summary>Relative or absolute threshold.</summary>
    public PlateauThresholdMode ThresholdMode { get; }

    /// <summary>Evaluations to wait after a drop before counting again.</summary>
    public int Cooldown { get; }

    /// <summary>The floor of every group's rate.</summary>
    public double MinLr { get; }

    /// <summary>A drop smaller than this is not applied.</summary>
    public double Eps { get; }

    /// <summary>The best metric seen (infinite before the first evaluation).</summary>
    public double Best { get; private set; }

    /// <summary>Evaluations since the last improvement (PyTorch's <c>num_bad_epochs</c>).</summary>
    public int BadEvaluations { get; private set; }

    /// <summary>Evaluations left in the cooldown.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>Evaluations observed (PyTorch's <c>last_epoch</c>).</summary>
    public int Evaluations { get; private set; }

    /// <summary>Does nothing: HF does not step this schedule per optimizer step.</summary>
    public override void step() { }

    /// <summary>Does nothing: HF does not step this schedule per optimizer step.</summary>
    public override void step(int? epoch) { }

    /// <summary>Observes an evaluation metric (PyTorch's <c>step(metrics)</c>).</summary>
    public override void step(double current, int? epoch = null) => Observe(current);

    /// <summary>Observes an evaluation metric and drops the rate after <see cref="Patience"/> evaluations without improvement.</summary>
    public void Observe(double metric)
    {
        Evaluations++;
        if (IsBetter(metric))
        {
            Best = metric;
            BadEvaluations = 0;
        }
        else
        {
            BadEvaluations++;
        }
        if (CooldownCounter > 0)
        {
            // PyTorch: evaluations in the cooldown do not count as bad.
            CooldownCounter--;
            BadEvaluations = 0;
        }
        if (BadEvaluations > Patience)
        {
            Reduce();
            CooldownCounter = Cooldown;
            BadEvaluations = 0;
        }
        base.step(null);   // get_last_lr now reports the groups' rates; the base get_lr leaves them as they are
    }

    private bool IsBetter(double metric) => (Mode, ThresholdMode) switch
    {
        (PlateauMode.Min, PlateauThresholdMode.Relative) => metric < Best * (1 - Threshold),
        (PlateauMode.Min, PlateauThresholdMode.Absolute) => metric < Best - Threshold,
        (PlateauMode.Max, PlateauThresholdMode.Relative) => metric > Best * (Threshold + 1),
        _ => metric > Best + Threshold,
    };

    private void Reduce()
    {
        int i = 0;
        foreach (var group in _optimizer.ParamGroups)
        {
            double old = group.LearningRate;
            double lowered = Math.Max(old * FactorValue, _minLrs[i++]);
            // PyTorch: a change smaller than eps is not applied.
            if (old - lowered > Eps) group.LearningRate = lowered;
        }
    }

    internal void WriteState(JsonObject state)
    {
        state["best"] = double.IsFinite(Best) ? JsonValue.Create(Best) : null;
        state["num_bad_epochs"] = BadEvaluations;
        state["cooldown_counter"] = CooldownCounter;
        state["evaluations"] = Evaluations;
    }

    internal void ReadState(JsonObject state, IReadOnlyList<double> rates)
    {
        Best = state["best"]?.GetValue<double>() ?? (Mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity);
        BadEvaluations = state["num_bad_epochs"]?.GetValue<int>() ?? 0;
        CooldownCounter = state["cooldown_counter"]?.GetValue<int>() ?? 0;
        Evaluations = state["evaluations"]?.GetValue<int>() ?? 0;
        int i = 0;
        foreach (var group in _optimizer.ParamGroups)
            if (i < rates.Count) group.LearningRate = rates[i++];
        base.step(null);
    }

    /// <inheritdoc/>
    public override string ToString() => $"PlateauSchedule(best {Best}, {BadEvaluations} bad evaluations)";
}
