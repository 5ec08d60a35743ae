using Dsl.Adapters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

/// <summary>
/// The compute dtype a BERT's layers share (see <see cref="IMixedPrecisionModel"/>): when set, linear
/// layers and attention products run in it, on bf16 copies of the float32 weights, and hand float32
/// back, so LayerNorm, softmax, residual sums and the loss stay float32, as under PyTorch's autocast.
/// Gradients flow through the casts to the float32 weights. A layer with a LoRA adapter (<see cref="LoraLayer"/>) gets
/// its update here, since BERT computes its products itself rather than through the layer's hooked <c>call</c>.
/// A product whose output feeds only another product through an elementwise function (the
/// feed-forward's activation) keeps it in the compute dtype (<see cref="LinearInComputeDType"/>), as autocast does: a value that came out of a bf16 product
/// and goes into one loses nothing by skipping the round trip through float32, and the activation's
/// kernels compute in float32 inside and round once.
/// </summary>
public sealed class ComputePrecision
{
    /// <summary>The dtype products run in, or null for float32.</summary>
    public ScalarType? DType { get; set; }

    /// <summary><paramref name="layer"/>(<paramref name="input"/>), computed in <see cref="DType"/> when set, with the layer's LoRA update when it has one; the output in the weights' dtype.</summary>
    public Tensor Linear(Linear layer, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var lora = LoraLayer.Of(layer);
        if (DType is not { } dtype && lora is null) return layer.forward(input);
        using var scope = torch.NewDisposeScope();
        var output = DType is { } compute
            ? nn.functional.linear(input.to(compute), layer.weight!.to(compute), layer.bias?.to(compute)).to(layer.weight!.dtype)
            : layer.forward(input);
        if (lora is not null) output.add_(lora.Delta(input, DType));
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="layers"/> applied to the same <paramref name="input"/> as one product: their weights concatenated
    /// (the input is read once, one larger GEMM), outputs side by side in the last dimension, each layer's LoRA update
    /// added to its own slice. What BERT's fused query/key/value projection computes.
    /// </summary>
    public Tensor Linear(ReadOnlySpan<Linear> layers, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var weights = new Tensor[layers.Length];
        var biases = new Tensor[layers.Length];
        bool anyBias = false;
        for (int i = 0; i < layers.Length; i++)
        {
            weights[i] = layers[i].weight!;
            anyBias |= layers[i].bias is not null;
        }
        for (int i = 0; i < layers.Length && anyBias; i++)
            biases[i] = layers[i].bias ?? torch.zeros(weights[i].shape[0], dtype: weights[i].dtype, device: weights[i].device);
        var output = Linear(torch.cat(weights, 0), anyBias ? torch.cat(biases, 0) : null, input);
        long offset = 0;
        foreach (var layer in layers)
        {
            long width = layer.weight!.shape[0];
            if (LoraLayer.Of(layer) is { } lora) output.narrow(-1, offset, width).add_(lora.Delta(input, DType));
            offset += width;
        }
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="layer"/>(<paramref name="input"/>), computed and returned in <see cref="DType"/> when set
    /// (in the weights' dtype otherwise): for an output that goes on to another product.
    /// </summary>
    public Tensor LinearInComputeDType(Linear layer, Tensor input)
    {
        // A LoRA layer's sum of base product and update is formed in the weights' dtype (Linear above).
        if (DType is not { } dtype || LoraLayer.Of(layer) is not null) return Linear(layer, input);
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
