using Dsl.Interop;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Optimization;

/// <summary>
/// TorchSharp's <see cref="TorchSharp.Modules.AdamW"/> with a leaner <see cref="step"/>: the same
/// update (PyTorch's AdamW), the same state tensors, options and checkpoint format, in fewer passes
/// over memory and with no per-parameter native scalars or temporaries left to finalizers.
/// </summary>
/// <remarks>
/// Per parameter the step is five in-place kernels and one temporary: <c>m.lerp_(g, 1-β₁)</c>,
/// <c>v.mul_(β₂).addcmul_(g, g, 1-β₂)</c>, <c>d = sqrt(v) + ε·√bc₂</c>,
/// <c>p.addcdiv_(m, d, -lr·√bc₂/bc₁)</c>, which is PyTorch's
/// <c>p -= lr/bc₁ · m / (sqrt(v)/√bc₂ + ε)</c> with √bc₂ moved out of the denominator (as PyTorch's
/// fused and capturable AdamW do). Decoupled weight decay, <c>p.mul_(1 - lr·wd)</c>, runs only when
/// the group's decay is not 0. The scalars are made once per group and step. Results equal
/// TorchSharp's AdamW to rounding (a test holds them within 1e-6 over 100 steps). AMSGrad and
/// <c>maximize</c> use TorchSharp's step unchanged.
/// <para>The class is named <c>AdamW</c>, like TorchSharp's, on purpose: TorchSharp's
/// <c>save_state_dict</c> writes the type's short name into the state and <c>load_state_dict</c>
/// refuses another, so the same name keeps checkpoints interchangeable between the two in both directions.
/// The per-parameter state is TorchSharp's own, reached through <see cref="TorchSharpInternals.AdamWState"/>.</para>
/// </remarks>
public sealed class AdamW : TorchSharp.Modules.AdamW
{
    /// <summary>AdamW over <paramref name="groups"/>; the arguments are the defaults of groups that do not set them.</summary>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : base(groups, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize)
    {
    }

    /// <summary>AdamW over one group of <paramref name="parameters"/>.</summary>
    public AdamW(IEnumerable<TorchSharp.Modules.Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weight_decay = 0)
        : base(parameters, lr, beta1, beta2, eps, weight_decay)
    {
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        foreach (var group in _parameter_groups)
        {
            var options = (Options)group.Options;
            if (options.amsgrad!.Value || options.maximize!.Value) return base.step(closure);
        }

        Tensor? loss = null;
        if (closure is not null)
            using (torch.enable_grad()) loss = closure();
        using (torch.no_grad())
            foreach (var group in _parameter_groups) Update((ParamGroup)group);
        return loss!;
    }

    private void Update(ParamGroup group)
    {
        var options = (Options)group.Options;
        double lr = options.LearningRate!.Value, beta1 = options.beta1!.Value, beta2 = options.beta2!.Value;
        double eps = options.eps!.Value, decay = options.weight_decay!.Value;
        using var oneMinusBeta1 = torch.tensor(1 - beta1, ScalarType.Float32);
        using var oneMinusBeta1Scalar = (1 - beta1).ToScalar();
        using var beta1Scalar = beta1.ToScalar();
        using var beta2Scalar = beta2.ToScalar();
        using var oneMinusBeta2 = (1 - beta2).ToScalar();
        using var keep = (1 - lr * decay).ToScalar();
        // Scalars that depend on the step count are shared by all parameters at the same count
        // (all of them, unless some had no gradient on some steps).
        long cachedStep = -1;
        Scalar? epsScaled = null, stepSize = null;
        try
        {
            foreach (var param in group.Parameters)
            {
                using var grad = param.grad;
                if (grad is null) continue;
                var state = TorchSharpInternals.AdamWState(this, param);
                state.step += 1;
                if (state.step != cachedStep)
                {
                    cachedStep = state.step;
                    double correction1 = 1 - Math.Pow(beta1, cachedStep);
                    double root2 = Math.Sqrt(1 - Math.Pow(beta2, cachedStep));
                    epsScaled?.Dispose();
                    stepSize?.Dispose();
                    epsScaled = (eps * root2).ToScalar();
                    stepSize = (-lr * root2 / correction1).ToScalar();
                }

                if (decay != 0) param.mul_(keep);
                // lerp_ (one pass) takes its weight as a tensor, here a float32 CPU one; elsewhere two passes.
                if (state.exp_avg.dtype == ScalarType.Float32 && state.exp_avg.device_type == DeviceType.CPU) state.exp_avg.lerp_(grad, oneMinusBeta1);
                else state.exp_avg.mul_(beta1Scalar).add_(grad, oneMinusBeta1Scalar);
                state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad, oneMinusBeta2);
                using var denominator = state.exp_avg_sq.sqrt();
                denominator.add_(epsScaled!);
                param.addcdiv_(state.exp_avg, denominator, stepSize!);
            }
        }
        finally
        {
            epsScaled?.Dispose();
            stepSize?.Dispose();
        }
    }
}
