using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Graph;

/// <summary>
/// The layers both exporters need, written as ONNX nodes that compute what TorchSharp computes.
/// Activations flow in <see cref="Float"/> (the model's weights' dtype); with a compute dtype (a
/// <see cref="Dsl.IMixedPrecisionModel"/> under <c>ComputeDType</c>, as <c>ComputePrecision</c> does) linear
/// layers and attention products run in it on copies of the weights stored in it, and hand
/// <see cref="Float"/> back.
/// </summary>
internal sealed class Layers(GraphBuilder graph, ScalarType floatType, ScalarType? computeType)
{
    /// <summary>The graph the layers are written into.</summary>
    public GraphBuilder Graph { get; } = graph;

    /// <summary>The dtype activations flow in: float32 or float16.</summary>
    public ScalarType Float { get; } = floatType;

    private ScalarType Compute { get; } = computeType ?? floatType;

    /// <summary>The ONNX type of <see cref="Float"/>.</summary>
    public TensorProto.Types.DataType FloatType => TensorProtos.TypeOf(Float);

    /// <summary>linear(<paramref name="input"/>, weight, bias), the weights stored under <paramref name="name"/><c>.weight</c>/<c>.bias</c>.</summary>
    public string Linear(string input, string name, Tensor weight, Tensor? bias)
    {
        // The weight keeps its [out, in] layout and its state-dict name; ONNX Runtime folds the Transpose when it loads.
        string transposed = Graph.Node("Transpose", [Graph.Initializer(Join(name, "weight"), weight, Compute)], Attributes.Ints("perm", 1, 0));
        string output = Graph.Node("MatMul", [ToCompute(input), transposed]);
        if (bias is not null) output = Graph.Node("Add", [output, Graph.Initializer(Join(name, "bias"), bias, Compute)]);
        return FromCompute(output);
    }

    /// <summary><paramref name="left"/> @ <paramref name="right"/> in the compute dtype.</summary>
    public string MatMul(string left, string right) =>
        FromCompute(Graph.Node("MatMul", [ToCompute(left), ToCompute(right)]));

    /// <summary>LayerNorm over the last <paramref name="dims"/> axes (libtorch's statistics are float32 for float16 input; so is ONNX's stash_type).</summary>
    public string LayerNorm(string input, string name, Tensor weight, Tensor? bias, double eps, int dims = 1)
    {
        string scale = Graph.Initializer(Join(name, "weight"), weight, Float);
        // Without a bias (bias=false) ONNX still takes one: zeros.
        using var zeros = bias is null ? torch.zeros_like(weight) : null;
        string shift = Graph.Initializer(Join(name, "bias"), bias ?? zeros!, Float);
        return Graph.Node("LayerNormalization", [input, scale, shift], Attributes.Int("axis", -dims), Attributes.Float("epsilon", eps));
    }

    /// <summary>A row lookup: <c>Gather</c> of the table by <paramref name="ids"/> (int64).</summary>
    public string Embedding(string ids, string name, Tensor weight) =>
        Graph.Node("Gather", [Graph.Initializer(Join(name, "weight"), weight, Float), ids]);

    /// <summary>A cast to <paramref name="dtype"/>.</summary>
    public string Cast(string input, ScalarType dtype) => Graph.Node("Cast", [input], Attributes.To(TensorProtos.TypeOf(dtype)));

    /// <summary>A scalar of <see cref="Float"/>.</summary>
    public string Scalar(double value) => Graph.Scalar(value, Float);

    /// <summary>
    /// An elementwise activation. For float16 activations the ones ONNX spells as several operators
    /// run in float32 between two casts, as libtorch evaluates them (in float32, rounded once).
    /// </summary>
    public string Activation(ActivationKind kind, string input, double argument = 0)
    {
        bool multiOp = kind is ActivationKind.Gelu or ActivationKind.GeluTanh or ActivationKind.Silu or ActivationKind.Mish;
        if (!multiOp || Float == ScalarType.Float32) return Apply(kind, input, argument, Float);
        return Cast(Apply(kind, Cast(input, ScalarType.Float32), argument, ScalarType.Float32), Float);
    }

    private string Apply(ActivationKind kind, string x, double argument, ScalarType dtype)
    {
        string C(double value) => Graph.Scalar(value, dtype);
        string Mul(string a, string b) => Graph.Node("Mul", [a, b]);
        switch (kind)
        {
            case ActivationKind.Relu: return Graph.Node("Relu", [x]);
            case ActivationKind.Tanh: return Graph.Node("Tanh", [x]);
            case ActivationKind.Sigmoid: return Graph.Node("Sigmoid", [x]);
            case ActivationKind.Silu: return Mul(x, Graph.Node("Sigmoid", [x]));
            case ActivationKind.Mish: return Mul(x, Graph.Node("Tanh", [Graph.Node("Softplus", [x])]));
            case ActivationKind.Softplus: return Graph.Node("Softplus", [x]);
            case ActivationKind.Softsign: return Graph.Node("Softsign", [x]);
            case ActivationKind.LeakyRelu: return Graph.Node("LeakyRelu", [x], Attributes.Float("alpha", argument));
            case ActivationKind.Elu: return Graph.Node("Elu", [x], Attributes.Float("alpha", argument));
            case ActivationKind.Selu: return Graph.Node("Selu", [x]);
            case ActivationKind.Relu6: return Graph.Node("Clip", [x, C(0), C(6)]);
            case ActivationKind.Softmax: return Graph.Node("Softmax", [x], Attributes.Int("axis", (long)argument));
            case ActivationKind.LogSoftmax: return Graph.Node("LogSoftmax", [x], Attributes.Int("axis", (long)argument));
            case ActivationKind.Gelu:
                // HF's "gelu" and torch's default: 0.5·x·(1 + erf(x/√2)).
                var erf = Graph.Node("Erf", [Graph.Node("Div", [x, C(Math.Sqrt(2))])]);
                return Mul(Mul(x, Graph.Node("Add", [erf, C(1)])), C(0.5));
            case ActivationKind.GeluTanh:
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
                var cube = Mul(Mul(x, x), x);
                var inner = Mul(Graph.Node("Add", [x, Mul(cube, C(0.044715))]), C(Math.Sqrt(2 / Math.PI)));
                return Mul(Mul(x, Graph.Node("Add", [Graph.Node("Tanh", [inner]), C(1)])), C(0.5));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not an activation the exporter writes.");
        }
    }

    // A state-dict name: "layers.0" + "weight"; a root module's own weight is just "weight".
    private static string Join(string module, string leaf) => module.Length == 0 ? leaf : module + "." + leaf;

    private string ToCompute(string value) => Compute == Float ? value : Cast(value, Compute);

    private string FromCompute(string value) => Compute == Float ? value : Cast(value, Float);
}

/// <summary>The elementwise functions <see cref="Layers.Activation"/> writes.</summary>
internal enum ActivationKind
{
    Relu, Relu6, LeakyRelu, Elu, Selu, Gelu, GeluTanh, Silu, Mish, Sigmoid, Tanh, Softplus, Softsign, Softmax, LogSoftmax,
}
