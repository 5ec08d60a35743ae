using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

/// <summary>
/// The compute dtype a BERT's layers share (see <see cref="IMixedPrecisionModel"/>): when set, linear
/// layers and attention products run in it, on bf16 copies of the float32 weights, and hand float32
/// back, so LayerNorm, softmax, residual sums and the loss stay float32, as under PyTorch's autocast.
/// Gradients flow through the casts to the float32 weights. A product whose output feeds only another
/// product through an elementwise function (the feed-forward's activation) keeps it in the compute
/// dtype (<see cref="LinearInComputeDType"/>), as autocast does: a value that came out of a bf16 product
/// and goes into one loses nothing by skipping the round trip through float32, and the activation's
/// kernels compute in float32 inside and round once.
/// </summary>
public sealed class ComputePrecision
{
    /// <summary>The dtype products run in, or null for float32.</summary>
    public ScalarType? DType { get; set; }

    /// <summary><paramref name="layer"/>(<paramref name="input"/>), computed in <see cref="DType"/> when set; the output in the weights' dtype.</summary>
    public Tensor Linear(Linear layer, Tensor input)
    {
        if (DType is not { } dtype) return layer.forward(input);
        using var scope = torch.NewDisposeScope();
        var output = nn.functional.linear(input.to(dtype), layer.weight!.to(dtype), layer.bias?.to(dtype));
        return output.to(layer.weight!.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="layer"/>(<paramref name="input"/>), computed and returned in <see cref="DType"/> when set
    /// (in the weights' dtype otherwise): for an output that goes on to another product.
    /// </summary>
    public Tensor LinearInComputeDType(Linear layer, Tensor input)
    {
        if (DType is not { } dtype) return layer.forward(input);
        using var scope = torch.NewDisposeScope();
        return nn.functional.linear(input.to(dtype), layer.weight!.to(dtype), layer.bias?.to(dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>linear(<paramref name="input"/>, <paramref name="weight"/>, <paramref name="bias"/>), computed in <see cref="DType"/> when set; the output in the weight's dtype.</summary>
    public Tensor Linear(Tensor weight, Tensor? bias, Tensor input)
    {
        if (DType is not { } dtype) return nn.functional.linear(input, weight, bias);
        using var scope = torch.NewDisposeScope();
        var output = nn.functional.linear(input.to(dtype), weight.to(dtype), bias?.to(dtype));
        return output.to(weight.dtype).MoveToOuterDisposeScope();
    }

    /// <summary><paramref name="left"/> @ <paramref name="right"/>, in <see cref="DType"/> when set.</summary>
    public Tensor MatMul(Tensor left, Tensor right)
    {
        if (DType is not { } dtype) return left.matmul(right);
        using var scope = torch.NewDisposeScope();
        return left.to(dtype).matmul(right.to(dtype)).to(left.dtype).MoveToOuterDisposeScope();
    }
}
