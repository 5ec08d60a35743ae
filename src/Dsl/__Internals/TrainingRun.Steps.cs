using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.__Internals;

public abstract partial class TrainingRun
{
    /// <summary>
    /// Backpropagates <paramref name="loss"/> divided by the length of its accumulation window (HF
    /// divides by the real window, so a short last window weighs the same), and adds it to the running
    /// loss: on an accelerator the sum stays on the device and is read at log steps only; on the CPU,
    /// where reading a value costs no wait, it is a float32 sum on the host (the same arithmetic, fewer
    /// kernel calls).
    /// </summary>
    public void Backward(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        var scaled = _windowSize == 1 ? loss : loss.div(WindowScalar(_windowSize));
        if (_precision is null) scaled.backward();
        else BackwardMixed(scaled);   // into the float32 masters' gradients
        AverageGradientsAtWindowEnd();
        if (_onHost)
        {
            float value = scaled.dtype == ScalarType.Float32 ? scaled.item<float>() : (float)Tensors.ReadFloat(scaled);
            ObserveLoss(value);
            // HF: a NaN or infinite loss counts as the mean of the steps since the last log.
            if (Args.LoggingNanInfFilter && !float.IsFinite(value)) value = _hostRunningLoss / (1 + State.GlobalStep - _lastLoggedStep);
            _hostRunningLoss += value;
            return;
        }
        var stepLoss = scaled.detach();
        if (ChecksEveryStep) ObserveLoss(Tensors.ReadFloat(stepLoss));
        if (Args.LoggingNanInfFilter)
        {
            using var stepsSinceLog = (1 + State.GlobalStep - _lastLoggedStep).ToScalar();
            var mean = _runningLoss.div(stepsSinceLog);
            stepLoss = torch.where(stepLoss.isfinite(), stepLoss, mean);
        }
        _runningLoss.add_(stepLoss);
    }

    private Scalar WindowScalar(int size) => _windowScalars[size] ??= size.ToScalar();

    /// <summary>
    /// Clips the gradients to <see cref="TrainingArguments.MaxGradNorm"/> and says whether the optimizer
    /// and schedule should step: always, except with Fp16 when the gradients overflowed. On an
    /// accelerator the norm stays a tensor until the next log; on the CPU libtorch's own
    /// clip_grad_norm_ does it in one call.
    /// </summary>
    public bool ClipGradients()
    {
        bool step = Clip();
        return !TakeNonFiniteSkip() && step;   // TrainingArguments.NonFiniteLoss: a NaN or infinity is not applied
    }

    private bool Clip()
    {
        if (_precision?.Scaler is not null) return UnscaleAndClip();
        if (Args.MaxGradNorm <= 0) return true;
        if (_onHost)
        {
            _hostGradNorm = torch.nn.utils.clip_grad_norm_(_parameters, Args.MaxGradNorm);
            _hasGradNorm = true;
            ObserveGradNorm(_hostGradNorm);
            return true;
        }
        var norm = _clipper.Clip(Args.MaxGradNorm);
        if (norm is null) return true;
        _gradNorm?.Dispose();
        _gradNorm = norm.detach().DetachFromDisposeScope();
        _hasGradNorm = true;
        if (ChecksEveryStep) ObserveGradNorm(Tensors.ReadFloat(_gradNorm));
        return true;
    }

    /// <summary>
    /// Ends an optimizer step: <c>GlobalStep++</c>, the epoch fraction, and HF's
    /// <c>DefaultFlowCallback.on_step_end</c>: whether to log, evaluate, save or stop.
    /// </summary>
    /// <param name="learningRate">The rate the step used (read before <c>scheduler.step()</c>).</param>
    public void EndStep(double learningRate)
    {
        _learningRate = learningRate;
        _precision?.AfterStep();   // mixed precision: working copies refreshed from the stepped masters
        State.GlobalStep++;
        State.Epoch = _epoch + (double)(_batchIndex + 1) / _batchesInEpoch;
        _progress?.Report(State.GlobalStep);

        // HF's on_step_begin cleared log/evaluate/save at the window's start (OnBatch); hooks and the rules below set them.
        int step = State.GlobalStep;
        if (step == 1 && Args.LoggingFirstStep) _control |= TrainerControl.Log;
        if (Args.LoggingStrategy == IntervalStrategy.Steps && step % State.LoggingSteps == 0) _control |= TrainerControl.Log;
        if (Args.EvalStrategy == IntervalStrategy.Steps && step % State.EvalSteps == 0 && Args.EvalDelay <= step)
            _control |= TrainerControl.Evaluate;
        if (Args.SaveStrategy == SaveStrategy.Steps && State.SaveSteps > 0 && step % State.SaveSteps == 0)
            _control |= TrainerControl.Save;
        if (step >= MaxSteps)
        {
            _control |= TrainerControl.StopTraining;
            // HF: save at the end of training with SaveStrategy.Steps only. Epoch saves at the epoch's end,
            // which always follows; saving here too wrote one checkpoint twice and fired [OnSave] twice
            // (transformers issue #36203, fixed in DefaultFlowCallback.on_step_end).
            if (Args.SaveStrategy == SaveStrategy.Steps) _control |= TrainerControl.Save;
            // HF (transformers PR #44146): with EvalStrategy.Steps, the last step is evaluated even when it is
            // not a multiple of EvalSteps (when it is, the rule above already asked), so the last metrics
            // and the best checkpoint are current. EvalDelay still holds.
            if (Args.EvalStrategy == IntervalStrategy.Steps && Args.EvalDelay <= step) _control |= TrainerControl.Evaluate;
        }
    }

    /// <summary>Ends an epoch: HF's <c>on_epoch_end</c> decides whether to log, evaluate or save.</summary>
    public void EndEpoch()
    {
        _control &= TrainerControl.StopTraining | TrainerControl.StopEpoch;
        if (Args.LoggingStrategy == IntervalStrategy.Epoch) _control |= TrainerControl.Log;
        if (Args.EvalStrategy == IntervalStrategy.Epoch && Args.EvalDelay <= State.Epoch) _control |= TrainerControl.Evaluate;
        if (Args.SaveStrategy == SaveStrategy.Epoch) _control |= TrainerControl.Save;
    }
}
