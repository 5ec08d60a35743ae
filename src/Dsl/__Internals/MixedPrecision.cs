using System.ComponentModel;
using static TorchSharp.torch;

namespace Dsl.__Internals;

/// <summary>Switches a model to bf16 compute for a run when <see cref="TrainingArguments.Bf16"/> asks, and back after.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct MixedPrecision : IDisposable
{
    private readonly IMixedPrecisionModel? _model;
    private readonly ScalarType? _previous;

    private MixedPrecision(IMixedPrecisionModel model, ScalarType? previous)
    {
        _model = model;
        _previous = previous;
    }

    /// <summary>Sets bf16 compute on <paramref name="model"/> when <paramref name="args"/> asks for it.</summary>
    /// <exception cref="ArgumentException">Bf16 is set but the model cannot compute in a lower precision.</exception>
    public static MixedPrecision Enter(nn.Module model, TrainingArguments args)
    {
        if (!args.Bf16) return default;
        if (model is not IMixedPrecisionModel mixed)
            throw new ArgumentException(
                $"TrainingArguments.Bf16 needs a model that implements Dsl.IMixedPrecisionModel, and {model.GetType().Name} does not: " +
                "TorchSharp has no autocast for arbitrary modules. Implement it (cast to ComputeDType in forward), or train in pure " +
                "bfloat16 with model.to(ScalarType.BFloat16) and Bf16 = false.", nameof(args));
        var previous = mixed.ComputeDType;
        mixed.ComputeDType = ScalarType.BFloat16;
        return new MixedPrecision(mixed, previous);
    }

    /// <summary>Restores the model's previous compute dtype.</summary>
    public void Dispose()
    {
        if (_model is not null) _model.ComputeDType = _previous;
    }
}
