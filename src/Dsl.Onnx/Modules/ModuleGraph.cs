using Dsl.Onnx.Graph;
using Dsl.Text.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Onnx.Modules;

/// <summary>
/// A TorchSharp module tree as ONNX nodes. The exporter cannot read a module's C# <c>forward</c>, so it
/// knows the modules whose forward is fixed: <see cref="Sequential"/> (children in order) and the
/// layers below; anything else is refused, naming the first such module by path and type.
/// </summary>
internal static class ModuleGraph
{
    /// <summary>
    /// The modules the exporter writes, for messages and docs/deployment.md. Not Hardtanh: TorchSharp
    /// 0.107's module does not compute hardtanh (its output differs from clamp, and a module after it in a
    /// Sequential finds an empty tensor), so no graph could match it.
    /// </summary>
    public const string Supported =
        "Sequential, Linear, Embedding, LayerNorm, ReLU, ReLU6, LeakyReLU, ELU, SELU, GELU (exact or tanh), SiLU, Mish, Sigmoid, Tanh, " +
        "Softplus (beta 1), Softsign, Hardsigmoid, Hardswish, Softmax, LogSoftmax, Flatten (start_dim 1, end_dim -1), Identity, " +
        "and Dropout, Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout and FastDropout as the identity (eval mode)";

    /// <summary>Writes <paramref name="module"/> (at <paramref name="path"/> in the tree) applied to <paramref name="input"/>; returns the output.</summary>
    /// <param name="layers">Where the nodes go.</param>
    /// <param name="module">The module.</param>
    /// <param name="path">Its state-dict path ("" for the root).</param>
    /// <param name="input">Its input value.</param>
    /// <param name="ids">Whether the input holds int64 ids (only an Embedding takes those); updated to the output's kind.</param>
    /// <exception cref="NotSupportedException">A module the exporter does not know, or a setting it cannot write; the message names it.</exception>
    public static string Write(Layers layers, nn.Module module, string path, string input, ref bool ids)
    {
        var graph = layers.Graph;
        string where = path.Length == 0 ? "the root module" : $"module '{path}'";
        if (module is Sequential sequential)
        {
            foreach (var (name, child) in sequential.named_children())
                input = Write(layers, child, path.Length == 0 ? name : $"{path}.{name}", input, ref ids);
            return input;
        }
        if (!Known(module))
            throw new NotSupportedException(
                $"The ONNX exporter does not know {where} ({module.GetType().FullName}): it cannot see a module's C# forward, " +
                $"so it exports only modules whose forward it knows: {Supported}. See docs/deployment.md#what-exports.");
        if (ids != module is Embedding)
            throw new NotSupportedException(ids
                ? $"{where} ({module.GetType().Name}) receives int64 ids; only an Embedding takes ids."
                : $"{where} (Embedding) receives floating-point values; an Embedding takes int64 ids, so it must come first.");
        using var scope = graph.Scope(path.Length == 0 ? module.GetType().Name : path);
        switch (module)
        {
            case Linear linear:
                return layers.Linear(input, path, linear.weight!, linear.bias);
            case Embedding embedding:
                ids = false;
                return layers.Embedding(input, path, embedding.weight!);
            case LayerNorm norm:
            {
                // elementwise_affine=false: ONNX still takes a scale, ones.
                using var ones = norm.weight is null ? torch.ones(norm.normalized_shape) : null;
                return layers.LayerNorm(input, path, norm.weight ?? ones!, norm.bias, norm.eps, norm.normalized_shape.Length);
            }
            case Flatten flatten:
                return flatten.start_dim == 1 && flatten.end_dim == -1
                    ? graph.Node("Flatten", [input], Attributes.Int("axis", 1))
                    : throw new NotSupportedException($"{where} is Flatten({flatten.start_dim}, {flatten.end_dim}); the exporter writes Flatten(1, -1) only.");
            case Softplus softplus:
                // ONNX's Softplus has no threshold; above torch's (20) both give x to float precision.
                return softplus.beta == 1
                    ? layers.Activation(ActivationKind.Softplus, input)
                    : throw new NotSupportedException($"{where} is Softplus with beta {softplus.beta}; the exporter writes beta 1 only.");
            case Hardsigmoid:
                // torch: relu6(x + 3) / 6, ONNX's HardSigmoid with alpha 1/6 and beta 1/2.
                return graph.Node("HardSigmoid", [input], Attributes.Float("alpha", 1.0 / 6), Attributes.Float("beta", 0.5));
            case Hardswish:
                return graph.Node("HardSwish", [input]);
            case Identity or Dropout or Dropout1d or Dropout2d or Dropout3d or AlphaDropout or FeatureAlphaDropout or FastDropout:
                // Eval mode: dropout is the identity.
                return graph.Node("Identity", [input]);
            default:
                var (kind, argument) = Activation(module)!.Value;
                return layers.Activation(kind, input, argument);
        }
    }

    private static bool Known(nn.Module module) =>
        module is Linear or Embedding or LayerNorm or Flatten or Softplus or Hardsigmoid or Hardswish
            or Identity or Dropout or Dropout1d or Dropout2d or Dropout3d or AlphaDropout or FeatureAlphaDropout or FastDropout
        || Activation(module) is not null;

    private static (ActivationKind Kind, double Argument)? Activation(nn.Module module) => module switch
    {
        ReLU => (ActivationKind.Relu, 0),
        ReLU6 => (ActivationKind.Relu6, 0),
        LeakyReLU leaky => (ActivationKind.LeakyRelu, leaky.negative_slope),
        ELU elu => (ActivationKind.Elu, elu.alpha),
        SELU => (ActivationKind.Selu, 0),
        GELU gelu => (gelu.approximate == GELU.Approximate.tanh ? ActivationKind.GeluTanh : ActivationKind.Gelu, 0),
        SiLU => (ActivationKind.Silu, 0),
        Mish => (ActivationKind.Mish, 0),
        Sigmoid => (ActivationKind.Sigmoid, 0),
        Tanh => (ActivationKind.Tanh, 0),
        Softsign => (ActivationKind.Softsign, 0),
        Softmax softmax => (ActivationKind.Softmax, softmax.dim),
        LogSoftmax logSoftmax => (ActivationKind.LogSoftmax, logSoftmax.dim),
        _ => null,
    };
}
