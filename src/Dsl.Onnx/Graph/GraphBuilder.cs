using Onnx;
using static TorchSharp.torch;

namespace Dsl.Onnx.Graph;

/// <summary>
/// Writes one ONNX <see cref="GraphProto"/>: nodes in the order they are added (ONNX wants them
/// topologically sorted, and every caller adds a node after the nodes it reads), initializers, and the
/// graph's inputs and outputs. Node names follow the module path that made them
/// (<c>/encoder/layer.0/attention/self/query/MatMul</c>, as <c>torch.onnx.export</c> names them), so a
/// graph viewer shows where each node came from.
/// </summary>
internal sealed class GraphBuilder
{
    private readonly Dictionary<string, int> _used = new(StringComparer.Ordinal);
    private readonly Stack<string> _scopes = new();
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);

    private readonly string _prefix;

    /// <summary>An empty graph named <paramref name="name"/>.</summary>
    /// <param name="name">The graph's name.</param>
    /// <param name="prefix">Starts every value name this builder makes: a subgraph's names must differ from its outer graph's (ONNX forbids shadowing).</param>
    public GraphBuilder(string name, string prefix = "")
    {
        Graph = new GraphProto { Name = name };
        _prefix = prefix;
    }

    /// <summary>The graph written so far.</summary>
    public GraphProto Graph { get; }

    /// <summary>Adds a scope to node names until the returned handle is disposed.</summary>
    public IDisposable Scope(string name)
    {
        _scopes.Push(name);
        return new PopScope(_scopes);
    }

    /// <summary>A value name no other value in this graph has, made from <paramref name="hint"/>.</summary>
    public string Unique(string hint)
    {
        if (!hint.StartsWith(_prefix, StringComparison.Ordinal)) hint = _prefix + hint;
        if (!_used.TryGetValue(hint, out int count))
        {
            _used[hint] = 1;
            return hint;
        }
        _used[hint] = count + 1;
        return Unique($"{hint}_{count}");
    }

    /// <summary>Adds a node; returns the name of its single output.</summary>
    public string Node(string op, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        Node(op, inputs, 1, "", attributes)[0];

    /// <summary>Adds a node of <paramref name="domain"/> with <paramref name="outputs"/> outputs; returns their names.</summary>
    public string[] Node(string op, IEnumerable<string> inputs, int outputs, string domain, params AttributeProto[] attributes)
    {
        string name = NodeName(op);
        var names = new string[outputs];
        for (int i = 0; i < outputs; i++) names[i] = Unique($"{name}_output_{i}");
        Add(name, op, inputs, names, domain, attributes);
        return names;
    }

    /// <summary>Adds a node whose single output is named <paramref name="output"/> (a graph output, or a subgraph's result).</summary>
    public void NodeTo(string output, string op, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        // The name may come from Unique already; a caller's own name (a graph output) is taken here.
        _used.TryAdd(output, 1);
        Add(NodeName(op), op, inputs, [output], "", attributes);
    }

    private string NodeName(string op) => Unique(string.Concat(_scopes.Reverse().Select(s => "/" + s)) + "/" + op);

    private void Add(string name, string op, IEnumerable<string> inputs, string[] outputs, string domain, AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name, Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
    }

    /// <summary>Marks <paramref name="name"/> as taken (a graph input, or an output named by the caller).</summary>
    public void Reserve(string name)
    {
        if (!_used.TryAdd(name, 1))
            throw new InvalidOperationException($"The graph already has a value named '{name}'.");
    }

    /// <summary>Adds a weight under <paramref name="name"/> (HF's state-dict name), converted to <paramref name="dtype"/>.</summary>
    public string Initializer(string name, Tensor tensor, ScalarType dtype)
    {
        Reserve(name);
        Graph.Initializer.Add(TensorProtos.From(name, tensor, dtype));
        return name;
    }

    /// <summary>A 1-D int64 constant (shapes, axes, indices), shared between nodes that use the same values.</summary>
    public string Int64s(params long[] values) =>
        Shared("int64:" + string.Join(',', values), name => TensorProtos.Int64(name, values, [values.Length]));

    /// <summary>A 0-d int64 constant.</summary>
    public string Int64Scalar(long value) =>
        Shared($"int64 scalar:{value}", name => TensorProtos.Int64(name, [value], []));

    /// <summary>A 0-d floating-point constant of <paramref name="dtype"/> (float32 or float16).</summary>
    public string Scalar(double value, ScalarType dtype) =>
        Shared($"{dtype}:{value:R}", name => TensorProtos.Scalar(name, value, dtype));

    private string Shared(string key, Func<string, TensorProto> make)
    {
        if (_constants.TryGetValue(key, out string? existing)) return existing;
        string name = Unique("const_" + _constants.Count);
        Graph.Initializer.Add(make(name));
        _constants[key] = name;
        return name;
    }

    /// <summary>Declares a graph input of <paramref name="type"/> with named (dynamic) or fixed dimensions.</summary>
    public void Input(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        Reserve(name);
        Graph.Input.Add(ValueInfo(name, type, dims));
    }

    /// <summary>Declares a graph output; a node must produce <paramref name="name"/>.</summary>
    public void Output(string name, TensorProto.Types.DataType type, params object[] dims) =>
        Graph.Output.Add(ValueInfo(name, type, dims));

    /// <summary>A typed value: each dimension a <see cref="string"/> (a named dynamic axis), a <see cref="long"/> or an <see cref="int"/>.</summary>
    public static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object dim in dims)
            shape.Dim.Add(dim switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                long size => new TensorShapeProto.Types.Dimension { DimValue = size },
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                _ => throw new ArgumentException($"A dimension is a name or a size, not {dim.GetType().Name}."),
            });
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape };
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    private sealed class PopScope(Stack<string> scopes) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            scopes.Pop();
        }
    }
}
