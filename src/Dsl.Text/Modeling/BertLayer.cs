using Dsl.Memory;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

/// <summary>HF's <c>BertIntermediate</c>: <c>dense</c> to the feed-forward width, then <c>hidden_act</c>.</summary>
public sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly ComputePrecision _precision;
    private readonly Linear dense;
    private readonly Func<Tensor, Tensor> _activation;

    /// <summary>Builds the feed-forward expansion of <paramref name="config"/>.</summary>
    public BertIntermediate(BertConfig config, ComputePrecision? precision = null) : base(nameof(BertIntermediate))
    {
        _precision = precision ?? new ComputePrecision();
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        _activation = Activations.Of(config.HiddenAct);
        RegisterComponents();
    }

    /// <summary>act(dense(<paramref name="hidden"/>)); in the compute dtype under mixed precision, as it feeds <see cref="BertOutput"/>'s product.</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return _activation(_precision.LinearInComputeDType(dense, hidden)).MoveToOuterDisposeScope();
    }
}

/// <summary>HF's <c>BertOutput</c>: <c>dense</c> back to the hidden width, dropout, <c>LayerNorm</c> of the residual sum.</summary>
public sealed class BertOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ComputePrecision _precision;
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly FastDropout dropout;

    /// <summary>Builds the feed-forward contraction of <paramref name="config"/>.</summary>
    public BertOutput(BertConfig config, ComputePrecision? precision = null) : base(nameof(BertOutput))
    {
        _precision = precision ?? new ComputePrecision();
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = new FastDropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>LayerNorm(dropout(dense(<paramref name="intermediate"/>)) + <paramref name="input"/>).</summary>
    public override Tensor forward(Tensor intermediate, Tensor input)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.forward(dropout.forward(_precision.Linear(dense, intermediate)) + input).MoveToOuterDisposeScope();
    }
}

/// <summary>HF's <c>BertLayer</c>: <c>attention</c>, then the feed-forward <c>intermediate</c> and <c>output</c>.</summary>
public sealed class BertLayer : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly ComputePrecision _precision;
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;

    /// <summary>Builds one transformer layer of <paramref name="config"/>.</summary>
    public BertLayer(BertConfig config, ComputePrecision? precision = null) : base(nameof(BertLayer))
    {
        _precision = precision ?? new ComputePrecision();
        attention = new BertAttention(config, _precision);
        intermediate = new BertIntermediate(config, _precision);
        output = new BertOutput(config, _precision);
        RegisterComponents();
    }

    /// <summary>One layer over <paramref name="hidden"/> [batch, seq, hidden].</summary>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var scope = NewDisposeScope();
        var attended = attention.forward(hidden, additiveMask);
        return output.forward(intermediate.forward(attended), attended).MoveToOuterDisposeScope();
    }
}

/// <summary>HF's <c>BertEncoder</c>: the layers, named <c>layer.0</c>, <c>layer.1</c>, ...</summary>
public sealed class BertEncoder : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly ComputePrecision _precision;
    private readonly ModuleList<BertLayer> layer;

    /// <summary>Builds the <c>num_hidden_layers</c> layers of <paramref name="config"/>.</summary>
    public BertEncoder(BertConfig config, ComputePrecision? precision = null) : base(nameof(BertEncoder))
    {
        _precision = precision ?? new ComputePrecision();
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config, _precision)).ToArray());
        RegisterComponents();
    }

    /// <summary>Runs every layer in order; with gradient checkpointing on, each layer keeps only its input for backward.</summary>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var scope = NewDisposeScope();
        var x = hidden;
        foreach (var block in layer)
        {
            // HF: each BertLayer is a GradientCheckpointingLayer.
            var next = GradientCheckpointing.Checkpoint(block, x, additiveMask);
            // A layer's output is garbage once the next layer has read it (autograd, and a checkpoint, keep their
            // own reference when backward needs it): freed now, as Python frees it, rather than when the scope ends.
            if (!ReferenceEquals(x, hidden)) x.Dispose();
            x = next;
        }
        // With no layers, return a new handle: the caller may dispose its input.
        return (ReferenceEquals(x, hidden) ? x.alias() : x).MoveToOuterDisposeScope();
    }
}

/// <summary>HF's <c>BertPooler</c>: tanh(<c>dense</c>(hidden state of the first token, [CLS])).</summary>
public sealed class BertPooler : nn.Module<Tensor, Tensor>
{
    private readonly ComputePrecision _precision;
    private readonly Linear dense;

    /// <summary>Builds the pooler of <paramref name="config"/>.</summary>
    public BertPooler(BertConfig config, ComputePrecision? precision = null) : base(nameof(BertPooler))
    {
        _precision = precision ?? new ComputePrecision();
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <summary>Pools [batch, seq, hidden] into [batch, hidden].</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return _precision.Linear(dense, hidden.select(1, 0)).tanh().MoveToOuterDisposeScope();
    }
}
