using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using Dsl.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

/// <summary>What <see cref="BertModel"/> returns.</summary>
/// <param name="LastHiddenState">The last layer's hidden states, [batch, seq, hidden].</param>
/// <param name="PoolerOutput">tanh(dense([CLS] state)), [batch, hidden]; null when the model has no pooler.</param>
public readonly record struct BertModelOutput(Tensor LastHiddenState, Tensor? PoolerOutput);

/// <summary>
/// HF's <c>BertModel</c> with HF's parameter names (<c>embeddings.*</c>, <c>encoder.layer.N.*</c>,
/// <c>pooler.dense.*</c>) and HF's initialisation, so HF checkpoints load by name.
/// </summary>
public sealed partial class BertModel : nn.Module<Tensor, Tensor?, Tensor?, BertModelOutput>, IModelConfig, IMixedPrecisionModel,
    IGradientCheckpointing, IActivationMemory
{
    private readonly ComputePrecision _precision = new();
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler? pooler;

    /// <summary>Builds a randomly initialised model (HF's <c>_init_weights</c>).</summary>
    /// <param name="config">The configuration; validated.</param>
    /// <param name="addPoolingLayer">HF's <c>add_pooling_layer</c>: false leaves out <c>pooler</c>.</param>
    public BertModel(BertConfig config, bool addPoolingLayer = true) : base(nameof(BertModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config, _precision);
        pooler = addPoolingLayer ? new BertPooler(config, _precision) : null;
        RegisterComponents();
        BertInitialization.Apply(this, config);
    }

    /// <summary>The configuration the model was built from.</summary>
    public BertConfig Config { get; }

    /// <summary>The compute dtype all layers share; the trainer sets it for <see cref="TrainingArguments.Bf16"/>.</summary>
    public ComputePrecision Precision => _precision;

    /// <inheritdoc/>
    public ScalarType? ComputeDType
    {
        get => _precision.DType;
        set => _precision.DType = value;
    }

    /// <summary>The embeddings module.</summary>
    public BertEmbeddings Embeddings => embeddings;

    /// <summary>
    /// Encodes <paramref name="inputIds"/> [batch, seq] (int64). <paramref name="attentionMask"/>
    /// [batch, seq] has 1 for real tokens and 0 for padding (null: all ones);
    /// <paramref name="tokenTypeIds"/> [batch, seq] gives segments (null: all zeros).
    /// </summary>
    public override BertModelOutput forward(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds)
    {
        if (inputIds.dim() != 2)
            throw new ArgumentException($"input_ids must be [batch, seq]; got [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        if (inputIds.shape[1] > Config.MaxPositionEmbeddings)
            throw new ArgumentException(
                $"The sequences have {inputIds.shape[1]} tokens but the model accepts at most {Config.MaxPositionEmbeddings} (max_position_embeddings); truncate them.",
                nameof(inputIds));
        using var scope = NewDisposeScope();
        var hidden = embeddings.forward(inputIds, tokenTypeIds);
        var mask = attentionMask is null ? null : BertInitialization.AdditiveMask(attentionMask, hidden.dtype);
        var last = encoder.forward(hidden, mask);
        var pooled = pooler?.forward(last);
        return new BertModelOutput(last.MoveToOuterDisposeScope(), pooled?.MoveToOuterDisposeScope());
    }

    /// <summary>The forward pass with only token ids.</summary>
    public BertModelOutput forward(Tensor inputIds) => forward(inputIds, null, null);

    /// <inheritdoc/>
    public JsonObject ToConfigJson() => (Config with { Architectures = [nameof(BertModel)] }).ToJson();
}
