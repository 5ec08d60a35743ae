using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

/// <summary>
/// HF's <c>BertSelfAttention</c>: <c>query</c>, <c>key</c>, <c>value</c> projections,
/// softmax(QKᵀ/√d + mask)·V per head, dropout on the attention weights in training; written out
/// (<c>attn_implementation="eager"</c>) or without keeping the [seq × seq] matrices (<c>"sdpa"</c>).
/// </summary>
public sealed class BertSelfAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly ComputePrecision _precision;
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly FastDropout dropout;
    private readonly int _heads;
    private readonly int _headSize;
    private readonly bool _sdpa;

    /// <summary>Builds the attention of <paramref name="config"/>.</summary>
    public BertSelfAttention(BertConfig config, ComputePrecision? precision = null) : base(nameof(BertSelfAttention))
    {
        _precision = precision ?? new ComputePrecision();
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = new FastDropout(config.AttentionProbsDropoutProb);
        _heads = config.NumAttentionHeads;
        _headSize = config.HeadSize;
        _sdpa = config.ResolvedAttnImplementation == AttentionImplementations.Sdpa;
        RegisterComponents();
    }

    /// <summary>
    /// Attends over <paramref name="hidden"/> [batch, seq, hidden]; <paramref name="additiveMask"/>
    /// [batch, 1, 1, seq] holds 0 for tokens to attend to and the dtype's minimum for padding.
    /// </summary>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1];
        // One projection for Q, K and V: the three HF-named weights concatenated in the forward pass
        // (a copy of 3 × hidden² floats), so the input is read once and the product is one larger
        // GEMM; the parameters, and so checkpoints, stay HF's query/key/value.
        // [batch, seq, 3·hidden] → [3, batch, heads, seq, head_size]; a LoRA adapter on query, key or value adds to its third.
        var qkv = _precision.Linear([query, key, value], hidden).view(batch, length, 3, _heads, _headSize).permute(2, 0, 3, 1, 4);
        var q = qkv.select(0, 0);
        var k = qkv.select(0, 1);
        var v = qkv.select(0, 2);
        var attended = _sdpa ? ScaledDotProduct(q, k, v, additiveMask) : Eager(q, k, v, additiveMask);
        var context = attended.permute(0, 2, 1, 3).contiguous();
        return context.view(batch, length, _heads * _headSize).MoveToOuterDisposeScope();
    }

    private Tensor Eager(Tensor q, Tensor k, Tensor v, Tensor? additiveMask)
    {
        var scores = _precision.MatMul(q, k.transpose(-1, -2)).div_(Math.Sqrt(_headSize));
        if (additiveMask is not null) scores.add_(additiveMask);
        var probabilities = dropout.forward(scores.softmax(-1));
        scores.Dispose();   // [batch, heads, seq, seq]: freed now rather than when the scope ends (softmax's backward keeps its output, not this)
        return _precision.MatMul(probabilities, v);
    }

    // HF's BertSdpaSelfAttention: dropout_p is the attention dropout in training, 0 in evaluation.
    private Tensor ScaledDotProduct(Tensor q, Tensor k, Tensor v, Tensor? additiveMask)
    {
        double p = training ? dropout.P : 0;
        // libtorch's CPU kernel that keeps no [seq × seq] matrix has no dropout: ours keeps none either, and drops as FastDropout does.
        if (p > 0 && q.device_type == DeviceType.CPU)
            return MemoryEfficientAttention.Apply(q, k, v, additiveMask, p, _precision.DType);
        if (_precision.DType is not { } dtype)
            return nn.functional.scaled_dot_product_attention(q, k, v, additiveMask, p);
        using var scope = NewDisposeScope();
        var output = nn.functional.scaled_dot_product_attention(q.to(dtype), k.to(dtype), v.to(dtype), additiveMask?.to(dtype), p);
        return output.to(q.dtype).MoveToOuterDisposeScope();
    }

}

/// <summary>HF's <c>BertSelfOutput</c>: <c>dense</c>, dropout, then <c>LayerNorm</c> of the residual sum.</summary>
public sealed class BertSelfOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ComputePrecision _precision;
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly FastDropout dropout;

    /// <summary>Builds the output projection of <paramref name="config"/>.</summary>
    public BertSelfOutput(BertConfig config, ComputePrecision? precision = null) : base(nameof(BertSelfOutput))
    {
        _precision = precision ?? new ComputePrecision();
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = new FastDropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>LayerNorm(dropout(dense(<paramref name="hidden"/>)) + <paramref name="input"/>).</summary>
    public override Tensor forward(Tensor hidden, Tensor input)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.forward(dropout.forward(_precision.Linear(dense, hidden)) + input).MoveToOuterDisposeScope();
    }
}

/// <summary>HF's <c>BertAttention</c>: <c>self</c> (the attention) and <c>output</c> (projection and residual).</summary>
public sealed class BertAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly ComputePrecision _precision;
    // HF's names: attention.self.* and attention.output.*
    private readonly BertSelfAttention @self;
    private readonly BertSelfOutput output;

    /// <summary>Builds the attention block of <paramref name="config"/>.</summary>
    public BertAttention(BertConfig config, ComputePrecision? precision = null) : base(nameof(BertAttention))
    {
        _precision = precision ?? new ComputePrecision();
        @self = new BertSelfAttention(config, _precision);
        output = new BertSelfOutput(config, _precision);
        RegisterComponents();
    }

    /// <summary>Self-attention over <paramref name="hidden"/> with the residual connection.</summary>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var scope = NewDisposeScope();
        return output.forward(@self.forward(hidden, additiveMask), hidden).MoveToOuterDisposeScope();
    }
}
