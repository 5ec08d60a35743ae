using Dsl.Onnx.Graph;
using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Bert;

/// <summary>
/// Dsl.Text's BERT as ONNX nodes, computing what its <c>forward</c> computes in eval mode (dropout is
/// the identity): embeddings, HF's additive attention mask, each layer's attention, feed-forward and
/// LayerNorms, the pooler and the classifier. Initializers keep HF's state-dict names and shapes.
/// Q, K and V are three products where the module fuses them into one: the same sums, split.
/// </summary>
internal sealed class BertGraph
{
    private readonly Layers _layers;
    private readonly BertConfig _config;
    private readonly IReadOnlyDictionary<string, Tensor> _weights;
    private readonly string _prefix;

    /// <param name="layers">Where the nodes go, and in which dtypes.</param>
    /// <param name="config">The model's configuration.</param>
    /// <param name="weights">The model's parameters by state-dict name.</param>
    /// <param name="prefix">The encoder's prefix in <paramref name="weights"/>: <c>""</c> for a BertModel, <c>"bert."</c> under a classifier.</param>
    public BertGraph(Layers layers, BertConfig config, IReadOnlyDictionary<string, Tensor> weights, string prefix)
    {
        _layers = layers;
        _config = config;
        _weights = weights;
        _prefix = prefix;
    }

    private GraphBuilder Graph => _layers.Graph;

    /// <summary>The encoder over int64 [batch, sequence] inputs; returns the last hidden state and the pooled [CLS] state (null without a pooler).</summary>
    public (string LastHiddenState, string? PoolerOutput) Encoder(string inputIds, string attentionMask, string tokenTypeIds)
    {
        string hidden = Embeddings(inputIds, tokenTypeIds);
        string mask = AdditiveMask(attentionMask);
        for (int i = 0; i < _config.NumHiddenLayers; i++)
            using (Graph.Scope($"encoder/layer.{i}"))
                hidden = Layer(hidden, mask, $"encoder.layer.{i}.");
        string? pooled = null;
        if (_weights.ContainsKey(_prefix + "pooler.dense.weight"))
            using (Graph.Scope("pooler"))
            {
                // tanh(dense(hidden[:, 0])): the [CLS] token's state.
                string first = Graph.Node("Gather", [hidden, Graph.Int64Scalar(0)], Attributes.Int("axis", 1));
                pooled = Graph.Node("Tanh", [Linear(first, "pooler.dense")]);
            }
        return (hidden, pooled);
    }

    /// <summary>The classifier on the pooled state: logits [batch, num_labels].</summary>
    public string Classifier(string pooled)
    {
        using var scope = Graph.Scope("classifier");
        return _layers.Linear(pooled, "classifier", _weights["classifier.weight"], _weights["classifier.bias"]);
    }

    private string Embeddings(string inputIds, string tokenTypeIds)
    {
        using var scope = Graph.Scope("embeddings");
        string words = _layers.Embedding(inputIds, _prefix + "embeddings.word_embeddings", Weight("embeddings.word_embeddings.weight"));
        string types = _layers.Embedding(tokenTypeIds, _prefix + "embeddings.token_type_embeddings", Weight("embeddings.token_type_embeddings.weight"));
        // Positions 0..sequence-1 are the table's first rows (HF's position_ids buffer, narrowed to the length).
        string table = Graph.Initializer(_prefix + "embeddings.position_embeddings.weight", Weight("embeddings.position_embeddings.weight"), _layers.Float);
        string length = Graph.Node("Shape", [inputIds], Attributes.Int("start", 1), Attributes.Int("end", 2));
        string positions = Graph.Node("Slice", [table, Graph.Int64s(0), length, Graph.Int64s(0)]);
        // As the module adds them: (words + types) + positions.
        string sum = Graph.Node("Add", [Graph.Node("Add", [words, types]), positions]);
        return LayerNorm(sum, "embeddings.LayerNorm");
    }

    // HF's get_extended_attention_mask: [batch, seq] of 1/0 → [batch, 1, 1, seq] of 0 / the dtype's minimum.
    private string AdditiveMask(string attentionMask)
    {
        using var scope = Graph.Scope("mask");
        string mask = _layers.Cast(attentionMask, _layers.Float);
        string inverted = Graph.Node("Sub", [_layers.Scalar(1), mask]);
        string additive = Graph.Node("Mul", [inverted, _layers.Scalar(torch.finfo(_layers.Float).min)]);
        return Graph.Node("Unsqueeze", [additive, Graph.Int64s(1, 2)]);
    }

    private string Layer(string hidden, string mask, string name)
    {
        string attended;
        using (Graph.Scope("attention"))
        {
            string context = SelfAttention(hidden, mask, name + "attention.self.");
            using var output = Graph.Scope("output");
            attended = LayerNorm(Graph.Node("Add", [Linear(context, name + "attention.output.dense"), hidden]), name + "attention.output.LayerNorm");
        }
        string intermediate;
        using (Graph.Scope("intermediate"))
            intermediate = _layers.Activation(ActivationOf(_config.HiddenAct), Linear(attended, name + "intermediate.dense"));
        using (Graph.Scope("output"))
            return LayerNorm(Graph.Node("Add", [Linear(intermediate, name + "output.dense"), attended]), name + "output.LayerNorm");
    }

    private string SelfAttention(string hidden, string mask, string name)
    {
        using var scope = Graph.Scope("self");
        int heads = _config.NumAttentionHeads, headSize = _config.HeadSize;
        // [batch, seq, hidden] → [batch, heads, seq, head_size]; keys go to [batch, heads, head_size, seq].
        string Heads(string projection, params long[] perm) =>
            Graph.Node("Transpose", [Graph.Node("Reshape", [projection, Graph.Int64s(0, 0, heads, headSize)])], Attributes.Ints("perm", perm));
        string q = Heads(Linear(hidden, name + "query"), 0, 2, 1, 3);
        string k = Heads(Linear(hidden, name + "key"), 0, 2, 3, 1);
        string v = Heads(Linear(hidden, name + "value"), 0, 2, 1, 3);
        string scores = Graph.Node("Div", [_layers.MatMul(q, k), _layers.Scalar(Math.Sqrt(headSize))]);
        string probabilities = Graph.Node("Softmax", [Graph.Node("Add", [scores, mask])], Attributes.Int("axis", -1));
        string context = Graph.Node("Transpose", [_layers.MatMul(probabilities, v)], Attributes.Ints("perm", 0, 2, 1, 3));
        return Graph.Node("Reshape", [context, Graph.Int64s(0, 0, _config.HiddenSize)]);
    }

    private string Linear(string input, string name) =>
        _layers.Linear(input, _prefix + name, Weight(name + ".weight"), Weight(name + ".bias"));

    private string LayerNorm(string input, string name) =>
        _layers.LayerNorm(input, _prefix + name, Weight(name + ".weight"), Weight(name + ".bias"), _config.LayerNormEps);

    private Tensor Weight(string name) => _weights.TryGetValue(_prefix + name, out var weight)
        ? weight
        : throw new InvalidOperationException($"The model has no parameter '{_prefix + name}' although its configuration implies one.");

    /// <summary>The graph's activation for HF's <c>hidden_act</c> (as Dsl.Text's <c>Activations.Of</c>).</summary>
    /// <exception cref="NotSupportedException">An activation Dsl.Text's BERT does not have.</exception>
    public static ActivationKind ActivationOf(string hiddenAct) => hiddenAct switch
    {
        "gelu" => ActivationKind.Gelu,
        "gelu_new" or "gelu_pytorch_tanh" => ActivationKind.GeluTanh,
        "relu" => ActivationKind.Relu,
        "silu" or "swish" => ActivationKind.Silu,
        "tanh" => ActivationKind.Tanh,
        _ => throw new NotSupportedException($"hidden_act '{hiddenAct}' has no ONNX form here; Dsl.Text's BERT accepts gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish and tanh."),
    };
}
