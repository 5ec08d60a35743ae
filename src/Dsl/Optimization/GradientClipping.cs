using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl;

/// <summary>
/// Gradient clipping that keeps the norm on the device. TorchSharp's <c>clip_grad_norm_</c> returns a
/// <c>double</c>, which waits for the device every step; this does libtorch's arithmetic bit for bit
/// (per-tensor L2 norms, their L2 norm, <c>max_norm / (total + 1e-6)</c> clamped to 1) and returns the
/// norm as a tensor, to be read only at log steps.
/// </summary>
public sealed class GradientClipper : IDisposable
{
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly List<Tensor> _grads;
    private readonly List<Tensor> _norms;
    private readonly Scalar _epsilon = 1e-6.ToScalar(), _one = 1.0.ToScalar();
    private Scalar? _maxNorm;
    private double _maxNormValue = double.NaN;

    /// <summary>A clipper for <paramref name="parameters"/>; its buffers are reused every step.</summary>
    public GradientClipper(IReadOnlyList<Parameter> parameters)
    {
        _parameters = parameters;
        _grads = new List<Tensor>(parameters.Count);
        _norms = new List<Tensor>(parameters.Count);
    }

    /// <summary>
    /// Scales the gradients so their global L2 norm is at most <paramref name="maxNorm"/> and returns
    /// the norm before clipping, a 0-d tensor in the current dispose scope; null when no parameter has
    /// a gradient.
    /// </summary>
    public Tensor? Clip(double maxNorm)
    {
        _grads.Clear();
        _norms.Clear();
        foreach (var p in _parameters)
        {
            var grad = p.grad;
            if (grad is null) continue;
            _grads.Add(grad);
            _norms.Add(grad.norm(p: 2.0f));
        }
        if (_grads.Count == 0) return null;

        var total = _norms.Count == 1 ? _norms[0] : torch.stack(_norms).norm(p: 2.0f);
        // libtorch: clip_coef = max_norm / (total + 1e-6), clamped to 1. C++'s scalar / tensor is a true
        // division (fill, then div_); Python's is reciprocal × scalar, which can differ in the last bit.
        // We follow libtorch, so the loop matches a TorchSharp loop that calls clip_grad_norm_.
        if (_maxNormValue != maxNorm) { _maxNorm?.Dispose(); _maxNorm = maxNorm.ToScalar(); _maxNormValue = maxNorm; }
        var coefficient = torch.full_like(total, _maxNorm!).div_(total.add(_epsilon)).clamp_max(_one);
        foreach (var grad in _grads) grad.mul_(coefficient);
        _grads.Clear();
        _norms.Clear();
        return total;
    }

    /// <summary>Clips <paramref name="parameters"/>' gradients once; see <see cref="Clip"/>.</summary>
    public static Tensor? ClipGradNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        using var clipper = new GradientClipper(parameters);
        return clipper.Clip(maxNorm);
    }

    /// <summary>Frees the cached scalars.</summary>
    public void Dispose()
    {
        _epsilon.Dispose();
        _one.Dispose();
        _maxNorm?.Dispose();
    }
}
