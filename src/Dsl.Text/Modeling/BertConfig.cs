using System.Text.Json.Nodes;

namespace Dsl.Text.Modeling;

/// <summary>
/// The fields of Hugging Face's <c>config.json</c> for BERT, with HF's names (in PascalCase) and
/// HF's defaults (<c>bert-base-uncased</c>). <see cref="Load"/> and <see cref="Save"/> read and
/// write the file; fields this type does not know are kept in <see cref="Extra"/> and written back.
/// </summary>
public sealed partial record BertConfig
{
    /// <summary><c>vocab_size</c>: rows of the word embedding.</summary>
    public int VocabSize { get; init; } = 30522;

    /// <summary><c>hidden_size</c>: width of every layer.</summary>
    public int HiddenSize { get; init; } = 768;

    /// <summary><c>num_hidden_layers</c>: transformer layers.</summary>
    public int NumHiddenLayers { get; init; } = 12;

    /// <summary><c>num_attention_heads</c>: heads per attention layer; divides <see cref="HiddenSize"/>.</summary>
    public int NumAttentionHeads { get; init; } = 12;

    /// <summary><c>intermediate_size</c>: width of the feed-forward layer.</summary>
    public int IntermediateSize { get; init; } = 3072;

    /// <summary><c>hidden_act</c>: <c>gelu</c> (exact, erf), <c>gelu_new</c>/<c>gelu_pytorch_tanh</c> (tanh approximation), <c>relu</c>, <c>silu</c>/<c>swish</c>.</summary>
    public string HiddenAct { get; init; } = "gelu";

    /// <summary><c>hidden_dropout_prob</c>: dropout after embeddings and every sub-layer.</summary>
    public double HiddenDropoutProb { get; init; } = 0.1;

    /// <summary><c>attention_probs_dropout_prob</c>: dropout on the attention weights.</summary>
    public double AttentionProbsDropoutProb { get; init; } = 0.1;

    /// <summary><c>max_position_embeddings</c>: the longest sequence the model accepts.</summary>
    public int MaxPositionEmbeddings { get; init; } = 512;

    /// <summary><c>type_vocab_size</c>: token types (segments A and B).</summary>
    public int TypeVocabSize { get; init; } = 2;

    /// <summary><c>initializer_range</c>: standard deviation of the normal initialisation.</summary>
    public double InitializerRange { get; init; } = 0.02;

    /// <summary><c>layer_norm_eps</c>: epsilon of every LayerNorm.</summary>
    public double LayerNormEps { get; init; } = 1e-12;

    /// <summary><c>pad_token_id</c>: the word embedding row kept at zero.</summary>
    public int PadTokenId { get; init; }

    /// <summary><c>position_embedding_type</c>: only <c>absolute</c> is implemented.</summary>
    public string PositionEmbeddingType { get; init; } = "absolute";

    /// <summary>
    /// <c>num_labels</c>: outputs of the classifier. HF derives it from <c>id2label</c>; so does
    /// <see cref="Load"/>. 1 means regression (MSE loss).
    /// </summary>
    public int NumLabels { get; init; } = 2;

    /// <summary><c>id2label</c>; null means HF's default names <c>LABEL_0</c>, <c>LABEL_1</c>, ...</summary>
    public IReadOnlyDictionary<int, string>? Id2Label { get; init; }

    /// <summary><c>label2id</c>; null means the inverse of <see cref="Id2Label"/>.</summary>
    public IReadOnlyDictionary<string, int>? Label2Id { get; init; }

    /// <summary>
    /// <c>problem_type</c>: <c>regression</c>, <c>single_label_classification</c> or
    /// <c>multi_label_classification</c>; null lets the labels decide, as HF does.
    /// </summary>
    public string? ProblemType { get; init; }

    /// <summary><c>classifier_dropout</c>: dropout before the classifier; null uses <see cref="HiddenDropoutProb"/>.</summary>
    public double? ClassifierDropout { get; init; }

    /// <summary><c>model_type</c>: always <c>bert</c> for this configuration.</summary>
    public string ModelType { get; init; } = "bert";

    /// <summary><c>architectures</c>: the model classes the weights belong to, e.g. <c>BertForSequenceClassification</c>.</summary>
    public IReadOnlyList<string>? Architectures { get; init; }

    /// <summary><c>torch_dtype</c>: the dtype the weights are stored in.</summary>
    public string TorchDtype { get; init; } = "float32";

    /// <summary>Fields of <c>config.json</c> this type does not model (e.g. <c>transformers_version</c>); written back unchanged.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Extra { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary>Width of one attention head: <see cref="HiddenSize"/> / <see cref="NumAttentionHeads"/>.</summary>
    public int HeadSize => HiddenSize / NumAttentionHeads;

    /// <summary>The label names by id: <see cref="Id2Label"/>, or HF's <c>LABEL_i</c>.</summary>
    public string LabelName(int id) =>
        Id2Label is not null && Id2Label.TryGetValue(id, out string? name) ? name : $"LABEL_{id}";

    /// <summary>
    /// Checks the values a model cannot be built from and says which field is wrong, and that the
    /// model's weights fit in this process's memory (the estimate is in the message).
    /// </summary>
    /// <exception cref="ArgumentException">A field is out of range or inconsistent.</exception>
    public void Validate()
    {
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(NumHiddenLayers, "num_hidden_layers", allowZero: true);
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(IntermediateSize, "intermediate_size");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        Positive(TypeVocabSize, "type_vocab_size");
        Positive(NumLabels, "num_labels");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException(
                $"hidden_size ({HiddenSize}) is not a multiple of num_attention_heads ({NumAttentionHeads}).");
        if (PadTokenId < 0 || PadTokenId >= VocabSize)
            throw new ArgumentException($"pad_token_id ({PadTokenId}) is outside the vocabulary (vocab_size {VocabSize}).");
        if (Id2Label is not null && Id2Label.Count != NumLabels)
            throw new ArgumentException($"id2label has {Id2Label.Count} labels but num_labels is {NumLabels}.");
        if (PositionEmbeddingType != "absolute")
            throw new ArgumentException(
                $"position_embedding_type '{PositionEmbeddingType}' is not implemented; only 'absolute' is.");
        if (ProblemType is not (null or Problems.Regression or Problems.SingleLabel or Problems.MultiLabel))
            throw new ArgumentException(
                $"problem_type '{ProblemType}' is not one of {Problems.Regression}, {Problems.SingleLabel}, {Problems.MultiLabel}.");
        _ = Activations.Of(HiddenAct);
        ValidateAttention();
        foreach (var (name, p) in new[] { ("hidden_dropout_prob", HiddenDropoutProb), ("attention_probs_dropout_prob", AttentionProbsDropoutProb), ("classifier_dropout", ClassifierDropout ?? 0) })
            if (p is < 0 or > 1) throw new ArgumentException($"{name} ({p}) must be in [0, 1].");
        CheckFitsInMemory();
    }

    private static void Positive(int value, string name, bool allowZero = false)
    {
        if (value < 0 || (value == 0 && !allowZero))
            throw new ArgumentException($"{name} must be {(allowZero ? "0 or more" : "positive")}, not {value}.");
    }

    /// <summary>HF's <c>problem_type</c> values.</summary>
    public static class Problems
    {
        /// <summary>One output, MSE loss.</summary>
        public const string Regression = "regression";
        /// <summary>One class per example, cross-entropy loss.</summary>
        public const string SingleLabel = "single_label_classification";
        /// <summary>Any number of classes per example, binary cross-entropy with logits.</summary>
        public const string MultiLabel = "multi_label_classification";
    }
}
