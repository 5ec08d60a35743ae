using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using Dsl.Memory;
using Dsl.Text.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

/// <summary>
/// HF's <c>BertForSequenceClassification</c>: <c>bert</c> (a <see cref="BertModel"/>), dropout, and
/// <c>classifier</c> on the pooled [CLS] state (or the mean of the hidden states, <see cref="BertConfig.ClassifierPooling"/>). Parameter names match HF's, so
/// <c>model.safetensors</c> files move between the two. The loss follows HF: cross-entropy for
/// classification, MSE when <c>num_labels</c> is 1, binary cross-entropy for multi-label problems.
/// </summary>
public sealed partial class BertForSequenceClassification : nn.Module<TextBatch, SequenceClassifierOutput>, IModelConfig, IMixedPrecisionModel,
    IGradientCheckpointing, IActivationMemory
{
    private readonly BertModel bert;
    private readonly FastDropout dropout;
    private readonly Linear classifier;

    /// <summary>Builds a randomly initialised model (HF's <c>_init_weights</c>).</summary>
    public BertForSequenceClassification(BertConfig config) : base(nameof(BertForSequenceClassification))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        bert = new BertModel(config);
        dropout = new FastDropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        RegisterComponents();
        BertInitialization.Apply(classifier, config);
    }

    /// <summary>The configuration the model was built from.</summary>
    public BertConfig Config { get; }

    /// <summary>The encoder, HF's <c>bert</c>.</summary>
    public BertModel Bert => bert;

    /// <summary>
    /// The dtype linear layers and attention products compute in (null: float32). The trainer sets
    /// bfloat16 for <see cref="TrainingArguments.Bf16"/>; weights, LayerNorm, softmax and the loss stay float32.
    /// </summary>
    public ScalarType? ComputeDType
    {
        get => bert.ComputeDType;
        set => bert.ComputeDType = value;
    }

    /// <summary>The forward pass on a collated batch; the loss is computed when the batch has labels.</summary>
    public override SequenceClassifierOutput forward(TextBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds, batch.Labels);
    }

    /// <summary>
    /// The forward pass on tensors: <paramref name="inputIds"/>, <paramref name="attentionMask"/> and
    /// <paramref name="tokenTypeIds"/> are [batch, seq]; <paramref name="labels"/> is [batch] of class
    /// ids (int64), [batch] of targets for regression, or [batch, num_labels] of 0/1 for multi-label.
    /// </summary>
    public SequenceClassifierOutput forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null, Tensor? labels = null)
    {
        using var scope = NewDisposeScope();
        var encoded = bert.forward(inputIds, attentionMask, tokenTypeIds);
        var pooled = Config.ClassifierPooling == "mean" ? MeanPooling(encoded.LastHiddenState, attentionMask) : encoded.PoolerOutput!;
        var logits = bert.Precision.Linear(classifier, dropout.forward(pooled));
        var loss = labels is null ? null : Loss(logits, labels);
        return new SequenceClassifierOutput(loss?.MoveToOuterDisposeScope(), logits.MoveToOuterDisposeScope(), labels);
    }

    // sentence-transformers' mean pooling: the hidden states of real tokens, summed and divided by their count.
    private static Tensor MeanPooling(Tensor hidden, Tensor? attentionMask)
    {
        if (attentionMask is null) return hidden.mean([1]);
        var mask = attentionMask.unsqueeze(-1).to(hidden.dtype);
        return (hidden * mask).sum(1) / mask.sum(1).clamp_min(1e-9);
    }

    // HF: problem_type decides the loss; when unset, num_labels == 1 means regression, integer
    // labels mean single-label classification, anything else multi-label.
    private Tensor Loss(Tensor logits, Tensor labels)
    {
        int n = Config.NumLabels;
        string problem = Config.ProblemType
            ?? (n == 1 ? BertConfig.Problems.Regression
                : labels.dtype is ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte
                    ? BertConfig.Problems.SingleLabel
                    : BertConfig.Problems.MultiLabel);
        return problem switch
        {
            BertConfig.Problems.Regression => n == 1
                ? nn.functional.mse_loss(logits.squeeze(), labels.squeeze().to(logits.dtype))
                : nn.functional.mse_loss(logits, labels.to(logits.dtype)),
            BertConfig.Problems.SingleLabel => nn.functional.cross_entropy(logits.view(-1, n), labels.view(-1).to(int64)),
            _ => nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype)),
        };
    }

    /// <inheritdoc/>
    public JsonObject ToConfigJson() => (Config with { Architectures = [nameof(BertForSequenceClassification)] }).ToJson();
}
