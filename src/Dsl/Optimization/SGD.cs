using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Optimization;

/// <summary>
/// TorchSharp's <see cref="TorchSharp.Modules.SGD"/> with a leaner <see cref="step"/> when there is no
/// momentum: <c>p.mul_(1 - lr·wd)</c> (only when the decay is not 0) and <c>p.add_(g, -lr)</c>, which is
/// PyTorch's <c>p -= lr·(g + wd·p)</c> without the temporary <c>g + wd·p</c>, with the scalars made
/// once per group and step. Momentum, Nesterov and <c>maximize</c> use TorchSharp's step unchanged;
/// state and checkpoints are TorchSharp's (the class shares TorchSharp's short name, which the saved state
/// records and loading checks, for that reason).
/// </summary>
public sealed class SGD : TorchSharp.Modules.SGD
{
    /// <summary>SGD over <paramref name="groups"/>; the arguments are the defaults of groups that do not set them.</summary>
    public SGD(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0,
        bool nesterov = false, bool maximize = false)
        : base(groups, lr, momentum, dampening, weight_decay, nesterov, maximize)
    {
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        foreach (var group in _parameter_groups)
        {
            var options = (Options)group.Options;
            if (options.momentum!.Value != 0 || options.maximize!.Value) return base.step(closure);
        }

        Tensor? loss = null;
        if (closure is not null)
            using (torch.enable_grad()) loss = closure();
        using (torch.no_grad())
            foreach (var group in _parameter_groups)
            {
                var options = (Options)group.Options;
                double lr = options.LearningRate!.Value, decay = options.weight_decay!.Value;
                using var keep = (1 - lr * decay).ToScalar();
                using var rate = (-lr).ToScalar();
                foreach (var param in group.Parameters)
                {
                    using var grad = param.grad;
                    if (grad is null) continue;
                    if (decay != 0) param.mul_(keep);
                    param.add_(grad, rate);
                }
            }
        return loss!;
    }
}
