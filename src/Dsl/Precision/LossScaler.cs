using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Precision;

/// <summary>
/// Dynamic loss scaling for float16 training, with PyTorch's <c>torch.amp.GradScaler</c> semantics:
/// the loss is multiplied by <see cref="Scale"/> before backward so small float16 gradients do not
/// underflow; the gradients are divided by it again before clipping; a step whose gradients hold an
/// Inf or NaN is skipped and the scale halves; after <see cref="GrowthInterval"/> steps in a row
/// without one, the scale doubles.
/// </summary>
/// <remarks>
/// The scale lives twice: as a number on the host (the rule above runs there) and as a 0-d float32
/// tensor on the device (the loss is multiplied by it without a host round trip). The tensor is
/// rewritten only when the scale changes.
/// </remarks>
public sealed class LossScaler : IDisposable
{
    /// <summary>PyTorch's <c>init_scale</c>: 2^16.</summary>
    public const double DefaultInitialScale = 65536.0;

    private readonly Tensor _scale, _inverse;

    /// <summary>A scaler with PyTorch's defaults (2^16, ×2 after 2000 good steps, ×0.5 on overflow).</summary>
    /// <param name="device">Where the loss and gradients live.</param>
    /// <param name="initialScale">The first scale.</param>
    /// <param name="growthFactor">The factor the scale grows by after <paramref name="growthInterval"/> good steps.</param>
    /// <param name="backoffFactor">The factor the scale shrinks by on an overflowing step.</param>
    /// <param name="growthInterval">Good steps in a row before the scale grows.</param>
    public LossScaler(Device device, double initialScale = DefaultInitialScale, double growthFactor = 2.0,
        double backoffFactor = 0.5, int growthInterval = 2000)
    {
        if (!(initialScale > 0) || double.IsInfinity(initialScale))
            throw new ArgumentOutOfRangeException(nameof(initialScale), initialScale, "The initial loss scale must be a positive finite number.");
        if (!(growthFactor > 1)) throw new ArgumentOutOfRangeException(nameof(growthFactor), growthFactor, "The growth factor must be above 1.");
        if (!(backoffFactor is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(backoffFactor), backoffFactor, "The backoff factor must be in (0, 1).");
        if (growthInterval < 1) throw new ArgumentOutOfRangeException(nameof(growthInterval), growthInterval, "The growth interval must be at least 1.");
        GrowthFactor = growthFactor;
        BackoffFactor = backoffFactor;
        GrowthInterval = growthInterval;
        _scale = torch.empty([], ScalarType.Float32, device);
        _inverse = torch.empty([], ScalarType.Float32, device);
        SetScale(initialScale);
    }

    /// <summary>The current loss scale.</summary>
    public double Scale { get; private set; }

    /// <summary>Steps in a row without an overflow since the scale last changed (PyTorch's <c>_growth_tracker</c>).</summary>
    public int GrowthTracker { get; private set; }

    /// <summary>The factor the scale grows by.</summary>
    public double GrowthFactor { get; }

    /// <summary>The factor the scale shrinks by.</summary>
    public double BackoffFactor { get; }

    /// <summary>Good steps in a row before the scale grows.</summary>
    public int GrowthInterval { get; }

    /// <summary>Steps skipped because their gradients overflowed.</summary>
    public int SkippedSteps { get; private set; }

    /// <summary><paramref name="loss"/> × <see cref="Scale"/>, a new tensor in the current dispose scope.</summary>
    public Tensor ScaleLoss(Tensor loss) => loss.mul(_scale);

    /// <summary>Divides the gradients of <paramref name="parameters"/> by <see cref="Scale"/>, in place.</summary>
    public void Unscale(IReadOnlyList<Parameter> parameters)
    {
        foreach (var p in parameters)
        {
            using var grad = p.grad;
            grad?.mul_(_inverse);
        }
    }

    /// <summary>
    /// Updates the scale after a step: an overflow halves it and restarts the count; otherwise the
    /// count grows and, at <see cref="GrowthInterval"/>, the scale doubles (when the result is finite).
    /// </summary>
    /// <param name="foundInf">The step's gradients held an Inf or NaN (the step was skipped).</param>
    public void Update(bool foundInf)
    {
        // PyTorch's _amp_update_scale_: backoff and reset on overflow; grow after growth_interval good steps.
        if (foundInf)
        {
            SkippedSteps++;
            GrowthTracker = 0;
            SetScale(Scale * BackoffFactor);
            return;
        }
        if (++GrowthTracker < GrowthInterval) return;
        GrowthTracker = 0;
        double grown = Scale * GrowthFactor;
        if (double.IsFinite(grown) && grown <= float.MaxValue) SetScale(grown);
    }

    /// <summary>The state a checkpoint keeps.</summary>
    public LossScalerState State => new(Scale, GrowthTracker, SkippedSteps);

    /// <summary>Restores <paramref name="state"/> (from a checkpoint).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The state's scale is not positive and finite, or its tracker is negative.</exception>
    public void Load(LossScalerState state)
    {
        if (!(state.Scale > 0) || !double.IsFinite(state.Scale))
            throw new ArgumentOutOfRangeException(nameof(state), state.Scale, "A loss scaler state needs a positive finite scale.");
        if (state.GrowthTracker < 0 || state.SkippedSteps < 0)
            throw new ArgumentOutOfRangeException(nameof(state), state, "A loss scaler state needs a growth tracker and skipped steps of 0 or more.");
        GrowthTracker = state.GrowthTracker;
        SkippedSteps = state.SkippedSteps;
        SetScale(state.Scale);
    }

    private void SetScale(double scale)
    {
        Scale = scale;
        using var value = scale.ToScalar();
        using var inverse = (1.0 / scale).ToScalar();
        _scale.fill_(value);
        _inverse.fill_(inverse);
    }

    /// <summary>Frees the device copies of the scale.</summary>
    public void Dispose()
    {
        _scale.Dispose();
        _inverse.Dispose();
    }
}

/// <summary>A <see cref="LossScaler"/>'s state, as <c>trainer_state.json</c> keeps it under <c>loss_scaler</c>.</summary>
/// <param name="Scale">The loss scale.</param>
/// <param name="GrowthTracker">Steps without overflow since the scale last changed.</param>
/// <param name="SkippedSteps">Steps skipped on overflow so far (their schedule steps were skipped too).</param>
public sealed record LossScalerState(double Scale, int GrowthTracker, int SkippedSteps = 0);
