using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Dsl.Text.Modeling;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace ImportMiniLm;

/// <summary>
/// A BERT encoder exported to ONNX by <c>torch.onnx.export</c>, read back into Hugging Face's names.
/// The exporter keeps HF names for the initializers it passes through unchanged (embeddings, biases,
/// LayerNorms) but folds every <c>nn.Linear</c> into a <c>MatMul</c> by a transposed weight
/// (<c>[in, out]</c>) with a generated name. The graph ties each such weight to its layer: the
/// <c>MatMul</c>'s output feeds the <c>Add</c> of that layer's named bias. The configuration is read from
/// the weights' shapes and the graph (heads from the attention reshape, epsilon from LayerNorm, the
/// activation from its ops).
/// </summary>
public sealed partial class OnnxBertGraph
{
    // HF's non-persistent buffers: save_pretrained leaves them out, so the import does too.
    private static readonly HashSet<string> Buffers = ["embeddings.position_ids", "embeddings.token_type_ids"];

    private readonly string _source;
    private readonly GraphProto _graph;
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);

    private OnnxBertGraph(ModelProto model, string source)
    {
        _source = source;
        _graph = model.Graph ?? throw new InvalidDataException($"{source}: the ONNX model has no graph.");
        _initializers = _graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var node in _graph.Node)
        {
            foreach (string output in node.Output) _producers[output] = node;
            foreach (string input in node.Input)
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = [];
                list.Add(node);
            }
        }
    }

    /// <summary>Parses an ONNX <c>ModelProto</c> (with OnnxSharp's reader).</summary>
    /// <param name="onnx">The file's bytes.</param>
    /// <param name="source">Where the bytes came from, for messages.</param>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model.</exception>
    public static OnnxBertGraph Parse(byte[] onnx, string source)
    {
        try
        {
            return new OnnxBertGraph(ModelProto.Parser.ParseFrom(onnx), source);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source}: not an ONNX model ({e.Message}).", e);
        }
    }

    [GeneratedRegex(@"^encoder\.layer\.([0-9]+)\.")]
    private static partial Regex LayerName();

    /// <summary>
    /// Every weight under its HF name, linear weights transposed back to <c>[out, in]</c>. The caller
    /// disposes the tensors. Fails, naming it, on a floating-point initializer the graph does not tie to a layer.
    /// </summary>
    public Dictionary<string, Tensor> Weights()
    {
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            // Linear layers: MatMul(x, W) then Add(bias), or Gemm(x, W, bias). The bias names the layer.
            foreach (var node in _graph.Node)
            {
                if (node.OpType is not ("MatMul" or "Gemm") || node.Input.Count < 2 || !_initializers.TryGetValue(node.Input[1], out var weight))
                    continue;
                string bias = node.OpType == "Gemm" && node.Input.Count > 2 ? node.Input[2] : BiasAfter(node);
                if (!bias.EndsWith(".bias", StringComparison.Ordinal))
                    throw new InvalidDataException($"{_source}: {node.OpType} node '{node.Name}' multiplies by '{weight.Name}', but its bias '{bias}' has no layer name.");
                string name = bias[..^".bias".Length] + ".weight";
                // MatMul's W is [in, out]; Gemm's is [out, in] when transB = 1.
                bool transposed = node.OpType == "MatMul" || node.Attribute.FirstOrDefault(a => a.Name == "transB")?.I != 1;
                using var raw = ToTensor(weight);
                if (weights.ContainsKey(name)) throw new InvalidDataException($"{_source}: two linear nodes claim the weight '{name}'.");
                weights[name] = transposed ? raw.t().contiguous() : raw.clone();
                used.Add(weight.Name);
            }

            // Everything else the exporter kept under its HF name.
            foreach (var tensor in _graph.Initializer)
            {
                if (used.Contains(tensor.Name) || Buffers.Contains(tensor.Name)) continue;
                bool floating = (TensorProto.Types.DataType)tensor.DataType is TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double
                    or TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16;
                bool named = tensor.Name.Contains('.', StringComparison.Ordinal) && !tensor.Name.StartsWith("onnx::", StringComparison.Ordinal);
                if (named && floating) weights[tensor.Name] = ToTensor(tensor);
                else if (floating && tensor.Dims.Count >= 2)
                    throw new InvalidDataException(
                        $"{_source}: the weight '{tensor.Name}' [{string.Join(", ", tensor.Dims)}] has no HF name and feeds no linear layer with a named bias.");
                // Unnamed integer scalars are the exporter's shape constants, not weights.
            }
            return weights;
        }
        catch
        {
            foreach (var t in weights.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>The configuration the weights and the graph imply, as HF's <c>config.json</c> would say it.</summary>
    public BertConfig Config()
    {
        var words = Initializer("embeddings.word_embeddings.weight");
        int layers = _initializers.Keys.Select(k => LayerName().Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1;
        if (layers == 0) throw new InvalidDataException($"{_source}: no encoder.layer.N weights: not a BERT encoder.");
        int hidden = (int)words.Dims[1];
        int heads = AttentionHeads(hidden);
        return new BertConfig
        {
            VocabSize = (int)words.Dims[0],
            HiddenSize = hidden,
            NumHiddenLayers = layers,
            NumAttentionHeads = heads,
            IntermediateSize = (int)Initializer("encoder.layer.0.intermediate.dense.bias").Dims[0],
            HiddenAct = Activation(),
            MaxPositionEmbeddings = (int)Initializer("embeddings.position_embeddings.weight").Dims[0],
            TypeVocabSize = (int)Initializer("embeddings.token_type_embeddings.weight").Dims[0],
            LayerNormEps = LayerNormEpsilon("embeddings.LayerNorm.weight"),
            Architectures = ["BertModel"],
        };
    }

    /// <summary>The named bias added right after a MatMul's output.</summary>
    private string BiasAfter(NodeProto matMul)
    {
        foreach (var next in Consumers(matMul.Output[0]))
            if (next.OpType == "Add")
                foreach (string input in next.Input)
                    if (input != matMul.Output[0] && _initializers.ContainsKey(input)) return input;
        return "";
    }

    /// <summary>Heads from the reshape that splits the first layer's key projection into [batch, seq, heads, head size].</summary>
    private int AttentionHeads(int hidden)
    {
        foreach (var add in Consumers("encoder.layer.0.attention.self.key.bias"))
            foreach (var reshape in Consumers(add.Output[0]).Where(n => n.OpType == "Reshape"))
            {
                var shape = ConstantInts(reshape.Input[1]);
                if (shape is [.., long heads, long size] && heads > 0 && heads * size == hidden) return (int)heads;
            }
        throw new InvalidDataException($"{_source}: found no reshape of the key projection into heads; cannot tell num_attention_heads.");
    }

    // A shape given as Concat(..., constant, constant) or as one constant.
    private long[]? ConstantInts(string name)
    {
        if (ScalarsOf(name) is { } direct) return direct;
        if (!_producers.TryGetValue(name, out var node) || node.OpType != "Concat") return null;
        var values = new List<long>();
        foreach (string input in node.Input) values.AddRange(ScalarsOf(input) ?? [-1]);
        return [.. values];
    }

    private long[]? ScalarsOf(string name)
    {
        var tensor = _initializers.GetValueOrDefault(name)
            ?? (_producers.TryGetValue(name, out var node) && node.OpType == "Constant" ? node.Attribute.FirstOrDefault(a => a.Name == "value")?.T : null);
        if (tensor is null || (TensorProto.Types.DataType)tensor.DataType != TensorProto.Types.DataType.Int64) return null;
        return tensor.RawData.Length > 0 ? MemoryMarshal.Cast<byte, long>(tensor.RawData.Span).ToArray() : [.. tensor.Int64Data];
    }

    /// <summary>HF's <c>gelu</c> is the exact, erf-based GELU; an export shows it as Erf nodes, one per layer.</summary>
    private string Activation()
    {
        int erf = _graph.Node.Count(n => n.OpType == "Erf");
        if (erf > 0 || _graph.Node.Any(n => n.OpType == "Gelu" && n.Attribute.All(a => a.Name != "approximate" || a.S.ToStringUtf8() == "none")))
            return "gelu";
        throw new InvalidDataException($"{_source}: the intermediate activation is not the exact GELU (no Erf or Gelu node); only BERT's 'gelu' is imported.");
    }

    /// <summary>Epsilon of the LayerNorm that scales by <paramref name="weight"/>: an attribute, or the constant added to the variance.</summary>
    private double LayerNormEpsilon(string weight)
    {
        foreach (var node in Consumers(weight))
        {
            if (node.OpType == "LayerNormalization")
                return Shortest(node.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f);
            // Decomposed: (x - mean) / Sqrt(var + eps) * weight + bias.
            if (node.OpType == "Mul" && node.Input.FirstOrDefault(i => i != weight) is { } normalised
                && Producer(normalised, "Div") is { } div && Producer(div.Input[1], "Sqrt") is { } sqrt
                && Producer(sqrt.Input[0], "Add") is { } add)
                foreach (string input in add.Input)
                    if (FloatScalar(input) is float eps) return Shortest(eps);
        }
        throw new InvalidDataException($"{_source}: cannot find the epsilon of the LayerNorm scaled by '{weight}'.");
    }

    // 1e-12 stored as float32 reads back as 9.9999999600419720e-13; config.json says 1e-12.
    private static double Shortest(float value) =>
        double.Parse(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

    private float? FloatScalar(string name)
    {
        var tensor = _initializers.GetValueOrDefault(name)
            ?? (_producers.TryGetValue(name, out var node) && node.OpType == "Constant" ? node.Attribute.FirstOrDefault(a => a.Name == "value")?.T : null);
        if (tensor is null || (TensorProto.Types.DataType)tensor.DataType != TensorProto.Types.DataType.Float) return null;
        if (tensor.RawData.Length == 4) return BitConverter.ToSingle(tensor.RawData.Span);
        return tensor.FloatData.Count == 1 ? tensor.FloatData[0] : null;
    }

    private NodeProto? Producer(string output, string opType) =>
        _producers.TryGetValue(output, out var node) && node.OpType == opType ? node : null;

    private IEnumerable<NodeProto> Consumers(string name) => _consumers.GetValueOrDefault(name) ?? [];

    private TensorProto Initializer(string name) =>
        _initializers.GetValueOrDefault(name) ?? throw new InvalidDataException($"{_source}: no initializer '{name}': not a BERT exported with HF names.");

    private Tensor ToTensor(TensorProto proto)
    {
        long[] shape = [.. proto.Dims];
        var type = (TensorProto.Types.DataType)proto.DataType;
        if (type == TensorProto.Types.DataType.Float)
        {
            float[] values = proto.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(proto.RawData.Span).ToArray() : [.. proto.FloatData];
            if (values.LongLength != shape.Aggregate(1L, (a, b) => a * b))
                throw new InvalidDataException($"{_source}: '{proto.Name}' holds {values.Length} floats for shape [{string.Join(", ", shape)}].");
            return torch.tensor(values, shape);
        }
        throw new InvalidDataException($"{_source}: '{proto.Name}' is {type}; only float32 weights are imported.");
    }
}
