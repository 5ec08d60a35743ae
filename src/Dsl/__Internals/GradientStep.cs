using System.ComponentModel;
using Dsl.Checkpoints;
using Dsl.Distributed;
using Dsl.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.__Internals;

/// <summary>
/// The gradients of one optimizer step: each micro-batch's backward (the loss divided by its window,
/// scaled under Fp16), then, once per window, the average over data-parallel ranks, the Fp16 unscale,
/// clipping to <see cref="TrainingArguments.MaxGradNorm"/> and the decision whether the optimizer may
/// apply them. The gradient norm stays a tensor on an accelerator until a log reads it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[Obsolete(Contract.Message, DiagnosticId = Contract.DiagnosticId)]
public sealed class GradientStep : IDisposable
{
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly double _maxGradNorm;
    private readonly MixedPrecision? _precision;
    private readonly DataParallel? _ddp;
    private readonly LossMeter _losses;
    private readonly NonFiniteLoss _nonFinite;
    private readonly PreemptionWatch _preemption;
    private readonly GradientClipper _clipper;
    private readonly Scalar?[] _windowScalars;

    // The last clipped step's gradient norm: a double on the host, a tensor on an accelerator.
    private double _hostNorm;
    private Tensor? _deviceNorm;

    internal GradientStep(IReadOnlyList<Parameter> parameters, double maxGradNorm, int gradientAccumulationSteps,
        MixedPrecision? precision, DataParallel? ddp, LossMeter losses, NonFiniteLoss nonFinite, PreemptionWatch preemption)
    {
        _parameters = parameters;
        _maxGradNorm = maxGradNorm;
        _precision = precision;
        _ddp = ddp;
        _losses = losses;
        _nonFinite = nonFinite;
        _preemption = preemption;
        _clipper = new GradientClipper(parameters);
        _windowScalars = new Scalar?[gradientAccumulationSteps + 1];
    }

    /// <summary>Whether a step has been clipped, so a log has a <c>grad_norm</c> to show.</summary>
    internal bool HasNorm { get; private set; }

    /// <summary>
    /// Backpropagates <paramref name="loss"/> divided by the length of its window (HF divides by the real
    /// window, so a short last window weighs the same) and adds it to the logged loss.
    /// </summary>
    public void Backward(Tensor loss, AccumulationWindow window)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(window);
        var scaled = window.Size == 1 ? loss : loss.div(WindowScalar(window.Size));
        if (_precision is null) scaled.backward();
        else BackwardMixed(scaled);   // into the float32 masters' gradients
        int stepsDone = window.Step - 1;
        if (_losses.OnHost)
        {
            float value = scaled.dtype == ScalarType.Float32 ? scaled.item<float>() : (float)Tensors.ReadFloat(scaled);
            _nonFinite.ObserveLoss(value, window.Step, window);
            _losses.Add(value, stepsDone);
            return;
        }
        if (_nonFinite.ChecksEveryStep) _nonFinite.ObserveLoss(Tensors.ReadFloat(scaled), window.Step, window);
        _losses.Add(scaled, stepsDone);
    }

    /// <summary>
    /// Ends <paramref name="window"/>'s gradients: averages them over the ranks (data-parallel), unscales them
    /// (Fp16), clips them to MaxGradNorm and says whether the optimizer and the schedule may step.
    /// </summary>
    public GradientUpdate Clip(AccumulationWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        // DDP: gradients are averaged after the last backward of a window only (no_sync before). A rank's preemption
        // signal travels with them, so every rank learns in the same step that one was asked to stop.
        if (_ddp is not null) _preemption.Agree(_ddp.AverageGradients(_preemption.Requested));
        bool finite = true;
        double? norm = null;   // an Fp16 overflow is the scaler's to handle: the policy sees only the losses then
        if (_precision?.Scaler is not null) finite = UnscaleAndClip();
        else norm = ClipToMaxNorm();
        string? skipped = _nonFinite.Decide(window, norm, window.Step);
        return new GradientUpdate(apply: finite && skipped is null, overflowed: !finite, nonFinite: skipped);
    }

    // The norm when it was read on the host this step (always on the CPU, every step on an accelerator
    // only when the non-finite policy needs it), else null.
    private double? ClipToMaxNorm()
    {
        if (_maxGradNorm <= 0) return null;
        if (_losses.OnHost)
        {
            _hostNorm = torch.nn.utils.clip_grad_norm_(_parameters, _maxGradNorm);
            HasNorm = true;
            return _hostNorm;
        }
        var norm = _clipper.Clip(_maxGradNorm);
        if (norm is null) return null;
        KeepDeviceNorm(norm);
        return _nonFinite.ChecksEveryStep ? Tensors.ReadFloat(_deviceNorm!) : null;
    }

    // Mixed precision's backward: the loss × the Fp16 scale, then the working copies' gradients
    // added to the float32 masters (a no-op for IMixedPrecisionModel, whose weights are float32).
    private void BackwardMixed(Tensor loss)
    {
        using var scope = torch.NewDisposeScope();
        var forBackward = _precision!.ScaleLoss(loss.dtype == ScalarType.Float32 ? loss : loss.to(ScalarType.Float32));
        forBackward.backward();
        _precision.AfterBackward();
    }

    // Fp16: PyTorch's GradScaler order. Unscale first, so MaxGradNorm applies to the true gradients
    // and the logged grad_norm is unscaled; then one overflow check: the global norm is finite exactly
    // when every gradient is (a non-finite element makes the sum of squares non-finite). On the CPU the
    // norm is a double already; on an accelerator reading it is the one host sync per step Fp16 costs.
    private bool UnscaleAndClip()
    {
        _precision!.Unscale(_parameters);
        bool clips = _maxGradNorm > 0;
        double maxNorm = clips ? _maxGradNorm : double.PositiveInfinity;   // +inf: a norm without clipping (the factor clamps to 1)
        double norm;
        if (_losses.OnHost)
        {
            norm = torch.nn.utils.clip_grad_norm_(_parameters, maxNorm);
            if (clips) { _hostNorm = norm; HasNorm = true; }
        }
        else
        {
            var total = _clipper.Clip(maxNorm);
            if (total is null) return _precision.Decide(finite: true);
            norm = Tensors.ReadFloat(total);
            if (clips) KeepDeviceNorm(total);
        }
        // HF: an overflowing step skips optimizer.step() and lr_scheduler.step() (optimizer_step_was_skipped).
        return _precision.Decide(double.IsFinite(norm));
    }

    private void KeepDeviceNorm(Tensor norm)
    {
        _deviceNorm?.Dispose();
        _deviceNorm = norm.detach().DetachFromDisposeScope();
        HasNorm = true;
    }

    /// <summary>The last clipped step's gradient norm; waits for the device (log steps only).</summary>
    internal double ReadNorm() => _losses.OnHost ? _hostNorm : Tensors.ReadFloat(_deviceNorm!);

    private Scalar WindowScalar(int size) => _windowScalars[size] ??= size.ToScalar();

    /// <summary>Frees the cached scalars and the kept norm.</summary>
    public void Dispose()
    {
        _deviceNorm?.Dispose();
        _clipper.Dispose();
        foreach (var scalar in _windowScalars) scalar?.Dispose();
    }
}

/// <summary>What <see cref="GradientStep.Clip"/> decided for one optimizer step.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[Obsolete(Contract.Message, DiagnosticId = Contract.DiagnosticId)]
public readonly struct GradientUpdate
{
    internal GradientUpdate(bool apply, bool overflowed, string? nonFinite)
    {
        Apply = apply;
        Overflowed = overflowed;
        NonFinite = nonFinite;
    }

    /// <summary>The optimizer and the schedule step: false when Fp16 gradients overflowed or the non-finite policy skips the step.</summary>
    public bool Apply { get; }

    /// <summary>Fp16 gradients overflowed: the loss scale shrinks and the step is skipped, as HF does.</summary>
    internal bool Overflowed { get; }

    /// <summary>Why the non-finite policy skipped the step (<c>the loss is NaN</c>), or null.</summary>
    internal string? NonFinite { get; }
}
