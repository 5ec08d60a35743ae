using System.Reflection;
using System.Runtime.CompilerServices;
using Dsl.Interop;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Precision;

/// <summary>
/// Float32 master weights with low-precision working copies, for models that cannot cast inside
/// their own forward (see <see cref="IMixedPrecisionModel"/>): the way Apex's O2 and DeepSpeed's
/// bf16 optimizer do mixed precision without autocast. The module's floating-point parameters are
/// replaced by bf16 (or fp16) copies it computes with; the float32 originals, which the optimizer
/// was built on, stay out of the module. After each backward the copies' gradients are added to the
/// masters' in float32; clipping and the optimizer step work on the masters; then the copies are
/// refreshed from them.
/// </summary>
/// <remarks>
/// The float32 rule: parameters of normalisation layers (any module whose type name contains
/// <c>Norm</c>: LayerNorm, BatchNorm, GroupNorm, RMSNorm, ...) stay float32 and are not copied;
/// libtorch's CPU and CUDA norm kernels take low-precision input with float32 weights and compute
/// their statistics in float32. Softmax and the loss are the step's own code: cast to float32 there
/// (<c>logits.to(ScalarType.Float32)</c>) or implement <see cref="IMixedPrecisionModel"/> for finer control.
/// </remarks>
internal sealed class MasterWeights : IDisposable
{
    private static readonly ConditionalWeakTable<nn.Module, MasterWeights> Installed = [];

    private readonly nn.Module _model;
    private readonly Slot[] _slots;
    private readonly Copy[] _copies;
    private bool _mastersShown, _disposed;

    // One place a module holds a parameter: its registration name and the fields that reference it.
    private sealed record Slot(nn.Module Owner, string Name, FieldInfo[] Fields, Copy Copy);

    // A master and its working copy (a parameter shared by several modules has one copy).
    private sealed record Copy(Parameter Master, Parameter Working);

    private MasterWeights(nn.Module model, ScalarType dtype, Slot[] slots, Copy[] copies)
    {
        _model = model;
        DType = dtype;
        _slots = slots;
        _copies = copies;
    }

    /// <summary>The dtype the working copies hold.</summary>
    public ScalarType DType { get; }

    /// <summary>The working dtype of <paramref name="model"/> when it holds working copies now, else null.</summary>
    public static ScalarType? WorkingDType(nn.Module model) =>
        Installed.TryGetValue(model, out var weights) && !weights._mastersShown ? weights.DType : null;

    /// <summary>
    /// Puts <paramref name="dtype"/> working copies of <paramref name="model"/>'s floating-point
    /// parameters in the module; with <paramref name="includeNorms"/>, normalisation layers' too (HF's
    /// <c>bf16_full_eval</c> casts the whole model).
    /// </summary>
    /// <exception cref="InvalidOperationException">The model already holds working copies.</exception>
    public static MasterWeights Install(nn.Module model, ScalarType dtype, bool includeNorms = false)
    {
        if (Installed.TryGetValue(model, out _))
            throw new InvalidOperationException($"{model.GetType().Name} already holds low-precision working copies of its weights.");
        var slots = new List<Slot>();
        var copies = new Dictionary<Parameter, Copy>(ReferenceEqualityComparer.Instance);
        using (torch.no_grad())
        {
            foreach (var module in model.modules().Prepend(model))
            {
                if (!includeNorms && module.GetType().Name.Contains("Norm", StringComparison.Ordinal)) continue;
                foreach (var (name, master) in module.named_parameters(recurse: false))
                {
                    if (!torch.is_floating_point(master.dtype) || master.dtype == dtype) continue;
                    if (!copies.TryGetValue(master, out var copy))
                    {
                        using var scope = torch.NewDisposeScope();   // frees the detached view and the cast's wrapper
                        var working = new Parameter(master.detach().to(dtype), master.requires_grad);
                        working.DetachFromDisposeScope();
                        copies[master] = copy = new Copy(master, working);
                    }
                    slots.Add(new Slot(module, name, TorchSharpInternals.FieldsHolding(module, master), copy));
                }
            }
        }
        // modules() may list a module twice when it is shared; each slot once is enough.
        var unique = slots.DistinctBy(s => (s.Owner, s.Name)).ToArray();
        var weights = new MasterWeights(model, dtype, unique, [.. copies.Values]);
        weights.Show(master: false);
        Installed.Add(model, weights);
        return weights;
    }

    /// <summary>Adds the working copies' gradients to the masters' in float32 and clears them (after each backward).</summary>
    public void AccumulateGradients()
    {
        foreach (var (master, working) in _copies)
        {
            using var grad = working.grad;
            if (grad is null) continue;
            using var masterGrad = master.grad;
            if (masterGrad is null)
            {
                using var first = grad.to(master.dtype);
                master.grad = first;
            }
            else
            {
                masterGrad.add_(grad);
            }
            working.grad = null;
        }
    }

    /// <summary>Copies the masters into the working copies (after an optimizer step) and clears the masters' gradients.</summary>
    public void Refresh(bool stepped)
    {
        using var noGrad = torch.no_grad();
        foreach (var (master, working) in _copies)
        {
            if (!master.requires_grad) continue;
            if (stepped) working.copy_(master);
            master.grad = null;   // as Module.zero_grad(set_to_none: true) does for the float32 path
        }
    }

    /// <summary>Puts the float32 masters in the module until the result is disposed (to save a checkpoint).</summary>
    public IDisposable ShowMasters()
    {
        Show(master: true);
        return new Restore(this);
    }

    private sealed class Restore(MasterWeights weights) : IDisposable
    {
        public void Dispose() => weights.Show(master: false);
    }

    private void Show(bool master)
    {
        if (_disposed) return;
        _mastersShown = master;
        foreach (var slot in _slots)
        {
            TorchSharpInternals.ReplaceParameter(slot.Owner, slot.Name, slot.Fields, master ? slot.Copy.Master : slot.Copy.Working);
        }
    }

    /// <summary>Puts the masters back in the module for good and frees the working copies.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Show(master: true);
        _disposed = true;
        Installed.Remove(_model);
        foreach (var (_, working) in _copies) working.Dispose();
    }
}
