using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.__Internals;

public abstract partial class TrainingRun
{
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
        bool clips = Args.MaxGradNorm > 0;
        double maxNorm = clips ? Args.MaxGradNorm : double.PositiveInfinity;   // +inf: a norm without clipping (the factor clamps to 1)
        double norm;
        if (_onHost)
        {
            norm = torch.nn.utils.clip_grad_norm_(_parameters, maxNorm);
            if (clips) { _hostGradNorm = norm; _hasGradNorm = true; }
        }
        else
        {
            var total = _clipper.Clip(maxNorm);
            if (total is null) return _precision.Decide(finite: true);
            norm = Tensors.ReadFloat(total);
            if (clips)
            {
                _gradNorm?.Dispose();
                _gradNorm = total.detach().DetachFromDisposeScope();
                _hasGradNorm = true;
            }
        }
        // HF: an overflowing step skips optimizer.step() and lr_scheduler.step() (optimizer_step_was_skipped).
        return _precision.Decide(double.IsFinite(norm));
    }
}
