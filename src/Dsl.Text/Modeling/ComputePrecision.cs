using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

/// <summary>
/// The compute dtype a BERT's layers share (see <see cref="IMixedPrecisionModel"/>): when set, linear
/// layers and attention products run in it, on bf16 copies of the float32 weights, and hand float32
/// back, so LayerNorm, softmax, residual sums and the loss stay float32, as under PyTorch's autocast.
/// Gradients flow through the casts to the float32 weights.
/// </summary>
public sealed class ComputePrecision
{
    /// <summary>The dtype products run in, or null for float32.</summary>
    public ScalarType? DType { get; set; }

    /// <summary><paramref name="layer"/>(<paramref name="input"/>), in <see cref="DType"/> when set.</summary>
    public Tensor Linear(Linear layer, Tensor input)
    {
        if (DType is not { } dtype) return layer.forward(input);
        using var scope = torch.NewDisposeScope();
        var output = nn.functional.linear(input.to(dtype), layer.weight!.to(dtype), layer.bias?.to(dtype));
        return output.to(input.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>linear(<paramref name="input"/>, <paramref name="weight"/>, <paramref name="bias"/>), in <see cref="DType"/> when set.</summary>
    public Tensor Linear(Tensor weight, Tensor? bias, Tensor input)
    {
        if (DType is not { } dtype) return nn.functional.linear(input, weight, bias);
        using var scope = torch.NewDisposeScope();
        var output = nn.functional.linear(input.to(dtype), weight.to(dtype), bias?.to(dtype));
        return output.to(input.dtype).MoveToOuterDisposeScope();
    }

    /// <summary><paramref name="left"/> @ <paramref name="right"/>, in <see cref="DType"/> when set.</summary>
    public Tensor MatMul(Tensor left, Tensor right)
    {
        if (DType is not { } dtype) return left.matmul(right);
        using var scope = torch.NewDisposeScope();
        return left.to(dtype).matmul(right.to(dtype)).to(left.dtype).MoveToOuterDisposeScope();
    }
}
