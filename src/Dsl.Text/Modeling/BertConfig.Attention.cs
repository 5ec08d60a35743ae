namespace Dsl.Text.Modeling;

public sealed partial record BertConfig
{
    /// <summary>
    /// HF's <c>attn_implementation</c>: <see cref="AttentionImplementations.Sdpa"/> (libtorch's
    /// <c>scaled_dot_product_attention</c>, which keeps no [seq × seq] matrix for backward) or
    /// <see cref="AttentionImplementations.Eager"/> (the matrices written out, as HF's original BERT);
    /// null uses <see cref="AttentionImplementations.Default"/>. Not written to <c>config.json</c>, as
    /// HF does not write it; read from it when present.
    /// </summary>
    public string? AttnImplementation { get; init; }

    /// <summary>The implementation the model runs: <see cref="AttnImplementation"/>, or the default.</summary>
    public string ResolvedAttnImplementation => AttnImplementation ?? AttentionImplementations.Default;

    /// <summary>
    /// What <see cref="BertForSequenceClassification"/> classifies (ModernBERT's <c>classifier_pooling</c>):
    /// <c>"cls"</c> (null, HF's BERT) the pooler's tanh(dense([CLS])), or <c>"mean"</c> the mean of the last
    /// hidden states over the attention mask, the pooling sentence-transformers checkpoints such as
    /// all-MiniLM-L6-v2 were trained with. Written to <c>config.json</c> only when set.
    /// </summary>
    public string? ClassifierPooling { get; init; }

    private void ValidateAttention()
    {
        if (ClassifierPooling is not (null or "cls" or "mean"))
            throw new ArgumentException($"classifier_pooling '{ClassifierPooling}' is not one of cls, mean.");
        if (AttnImplementation is null or AttentionImplementations.Sdpa or AttentionImplementations.Eager) return;
        string why = AttnImplementation is "flash_attention_2" or "flash_attention_3" or "flex_attention"
            ? $" ({AttnImplementation} needs CUDA kernels that TorchSharp does not ship)"
            : "";
        throw new ArgumentException(
            $"BERT does not support attn_implementation '{AttnImplementation}'{why}; use '{AttentionImplementations.Sdpa}' or " +
            $"'{AttentionImplementations.Eager}' (or leave it unset for '{AttentionImplementations.Default}').");
    }
}

/// <summary>HF's <c>attn_implementation</c> values that Dsl.Text's BERT runs.</summary>
public static class AttentionImplementations
{
    /// <summary>softmax(QKᵀ/√d + mask)·V written out, keeping the scores, probabilities and dropout mask for backward.</summary>
    public const string Eager = "eager";

    /// <summary>
    /// Scaled dot-product attention that keeps none of the [seq × seq] matrices for backward: libtorch's
    /// <c>scaled_dot_product_attention</c> (its fused kernel) in evaluation, without attention dropout and
    /// off the CPU; on the CPU with attention dropout in training, where libtorch would fall back to a kernel
    /// that keeps them, our own kernel that recomputes them in backward with the same dropout.
    /// </summary>
    public const string Sdpa = "sdpa";

    /// <summary>The implementation a configuration without <c>attn_implementation</c> runs (HF's default for BERT).</summary>
    public const string Default = Sdpa;
}
