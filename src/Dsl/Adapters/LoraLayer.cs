using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Adapters;

/// <summary>
/// One Linear layer with a LoRA update, PEFT's <c>lora.Linear</c>: <c>lora_A</c> [r, in] and <c>lora_B</c> [out, r]
/// are registered under the layer (so its parameters are named <c>…query.lora_A.weight</c>, as PEFT's are once the
/// adapter name is dropped), and the layer's output gains <c>scaling · B·A·dropout(x)</c>.
/// </summary>
/// <remarks>
/// TorchSharp's <c>Linear</c> is sealed, so the layer cannot be swapped for a wrapper as PEFT swaps <c>nn.Linear</c>.
/// The update reaches the output two ways: a forward hook, which runs when the model calls the layer with
/// <c>call(x)</c> (PyTorch's <c>module(x)</c>; TorchSharp's <c>Sequential</c> does); and <see cref="Delta"/>, for a model
/// that computes the product itself (Dsl.Text's BERT does, for mixed precision and its fused Q/K/V projection).
/// A model that calls <c>forward(x)</c> directly skips hooks: the trainer notices after the first step that the
/// update was never computed and says so.
/// </remarks>
public sealed class LoraLayer
{
    private static readonly ConditionalWeakTable<Linear, LoraLayer> Attached = [];
    private readonly nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover _hook;
    private readonly Scalar _scale;

    internal LoraLayer(string name, Linear baseLayer, LoraConfig config)
    {
        Name = name;
        BaseLayer = baseLayer;
        Scaling = config.Scaling;
        Dropout = config.LoraDropout;
        var weight = baseLayer.weight;
        long inFeatures = weight.shape[1], outFeatures = weight.shape[0];
        // PEFT keeps adapters float32 beside a half-precision base (autocast_adapter_dtype); the trainer's masters are float32 anyway.
        var dtype = weight.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : weight.dtype;
        LoraA = nn.Linear(inFeatures, config.R, hasBias: false, device: weight.device, dtype: dtype);
        LoraB = nn.Linear(config.R, outFeatures, hasBias: false, device: weight.device, dtype: dtype);
        Initialize(config);
        baseLayer.register_module("lora_A", LoraA);
        baseLayer.register_module("lora_B", LoraB);
        _scale = Scaling.ToScalar();
        _hook = baseLayer.register_forward_hook(AddDelta);
        Attached.Add(baseLayer, this);
    }

    /// <summary>The layer's full name in the model, e.g. <c>bert.encoder.layer.0.attention.self.query</c>.</summary>
    public string Name { get; }

    /// <summary>The adapted layer; its weight stays frozen.</summary>
    public Linear BaseLayer { get; }

    /// <summary>A: [r, in], PEFT's <c>lora_A</c>.</summary>
    public Linear LoraA { get; }

    /// <summary>B: [out, r], PEFT's <c>lora_B</c>.</summary>
    public Linear LoraB { get; }

    /// <summary>The factor of the update: alpha / r (alpha / √r with rsLoRA).</summary>
    public double Scaling { get; }

    /// <summary>Dropout on the update's input while training.</summary>
    public double Dropout { get; }

    /// <summary>How many times the update was computed since the adapter was applied.</summary>
    internal long Calls { get; private set; }

    /// <summary>The adapter on <paramref name="layer"/>, or null when it has none.</summary>
    public static LoraLayer? Of(Linear layer) => Attached.TryGetValue(layer, out var lora) ? lora : null;

    /// <summary>
    /// The update for <paramref name="input"/>, <c>scaling · B·A·dropout(x)</c> (PEFT's <c>lora_B(lora_A(dropout(x))) *
    /// scaling</c>), in <paramref name="computeDType"/> when given, returned in the input's dtype. Dropout applies
    /// while the base layer is training.
    /// </summary>
    public Tensor Delta(Tensor input, ScalarType? computeDType = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        Calls++;
        using var scope = torch.NewDisposeScope();
        Tensor a = LoraA.weight, b = LoraB.weight;
        var dtype = computeDType ?? a.dtype;
        var x = Dropout > 0 && BaseLayer.training ? nn.functional.dropout(input, Dropout, training: true) : input;
        if (x.dtype != dtype) x = x.to(dtype);
        if (a.dtype != dtype)
        {
            a = a.to(dtype);
            b = b.to(dtype);
        }
        var delta = nn.functional.linear(nn.functional.linear(x, a), b).mul_(_scale);
        if (delta.dtype != input.dtype) delta = delta.to(input.dtype);
        return delta.MoveToOuterDisposeScope();
    }

    // A model that calls the layer with call(x): the output gains the update in place (a product's output is not
    // needed for its own backward, so autograd allows it).
    private Tensor AddDelta(nn.Module<Tensor, Tensor> module, Tensor input, Tensor output)
    {
        using var delta = Delta(input);
        return output.add_(delta);
    }

    /// <summary>
    /// PEFT's <c>reset_lora_parameters</c>: A Kaiming-uniform with a = √5 (what <c>nn.Linear</c> gave it) or normal with
    /// std 1/r, B zero, so the model starts equal to the base; <see cref="LoraInit.Random"/> keeps both as built.
    /// </summary>
    private void Initialize(LoraConfig config)
    {
        using var noGrad = torch.no_grad();
        if (config.InitLoraWeights == LoraInit.Random) return;
        if (config.InitLoraWeights == LoraInit.Gaussian) nn.init.normal_(LoraA.weight, std: 1.0 / config.R);
        nn.init.zeros_(LoraB.weight);
    }

    /// <summary>Moves A and B to the base layer's device (TorchSharp's <c>Linear.to</c> moves only its own weight and bias).</summary>
    internal void FollowBaseDevice()
    {
        var device = BaseLayer.weight.device;
        var current = LoraA.weight.device;
        if (current.type == device.type && current.index == device.index) return;
        LoraA.to(device);
        LoraB.to(device);
    }

    /// <summary>
    /// Adds the update to the base weight, <c>W += scaling · B·A</c> (PEFT's <c>get_delta_weight</c>, computed in float32
    /// as PEFT does for half precision on the CPU), so the layer alone computes what it computed with the adapter.
    /// </summary>
    internal void Merge()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var weight = BaseLayer.weight;
        var delta = LoraB.weight.to(ScalarType.Float32).matmul(LoraA.weight.to(ScalarType.Float32)).mul_(_scale);
        weight.add_(delta.to(weight.dtype));
    }

    /// <summary>Takes the adapter off the layer: the hook and the registered <c>lora_A</c>/<c>lora_B</c>, then frees them.</summary>
    internal void Detach()
    {
        _hook.remove();
        BaseLayer.register_module("lora_A", null!);
        BaseLayer.register_module("lora_B", null!);
        Attached.Remove(BaseLayer);
        LoraA.Dispose();
        LoraB.Dispose();
        _scale.Dispose();
    }
}
