using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Dsl;

/// <summary>
/// A schedule whose rate at optimizer step <c>t</c> is <c>initial_lr × factor(t)</c> for every
/// parameter group: PyTorch's <c>LambdaLR</c>, which Hugging Face's schedules are built on. Its
/// state is the number of steps taken, so a checkpoint restores it exactly.
/// </summary>
public sealed class LambdaSchedule : LRScheduler
{
    private readonly Func<int, double> _factor;
    private readonly double[] _baseLearningRates;
    private readonly double[] _learningRates;

    /// <summary>Creates the schedule and sets the rate of step 0, as <c>LambdaLR</c> does.</summary>
    /// <param name="optimizer">The optimizer whose groups' rates it sets.</param>
    /// <param name="factor">The multiplier of the initial rate at each step.</param>
    /// <param name="name">A name for logs and checkpoints, e.g. <c>linear</c>.</param>
    public LambdaSchedule(Optimizer optimizer, Func<int, double> factor, string name)
        : base(optimizer, -1, false)
    {
        ArgumentNullException.ThrowIfNull(factor);
        _factor = factor;
        Name = name;
        _baseLearningRates = optimizer.ParamGroups.Select(g => g.InitialLearningRate).ToArray();
        _learningRates = new double[_baseLearningRates.Length];
        step();
    }

    /// <summary>The schedule's name, e.g. <c>linear</c> or <c>cosine</c>.</summary>
    public string Name { get; }

    /// <summary>Times <c>step()</c> was called after construction: the index of the next optimizer step.</summary>
    public int LastStep => _step_count - 1;

    /// <summary>The multiplier of the initial rate at optimizer step <paramref name="step"/>.</summary>
    public double Factor(int step) => _factor(step);

    /// <inheritdoc/>
    protected override IEnumerable<double> get_lr()
    {
        double factor = _factor(LastStep);
        for (int i = 0; i < _learningRates.Length; i++) _learningRates[i] = _baseLearningRates[i] * factor;
        return _learningRates;
    }

    /// <inheritdoc/>
    protected override IEnumerable<double> get_closed_form_lr() => get_lr();

    /// <inheritdoc/>
    public override string ToString() => $"LambdaSchedule({Name}, step {LastStep})";
}
