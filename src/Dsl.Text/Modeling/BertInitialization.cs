using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

/// <summary>HF's <c>BertPreTrainedModel._init_weights</c>, applied to every submodule.</summary>
internal static class BertInitialization
{
    /// <summary>
    /// Linear and Embedding weights ~ normal(0, initializer_range), Linear biases 0, LayerNorm
    /// weight 1 and bias 0, and the word embedding's padding row 0.
    /// </summary>
    public static void Apply(nn.Module root, BertConfig config)
    {
        using var noGrad = torch.no_grad();
        // TorchSharp's named_modules leaves out the root itself (PyTorch's includes it).
        foreach (var module in root.named_modules().Select(m => m.module).Prepend(root))
        {
            switch (module)
            {
                case Linear linear:
                    linear.weight!.normal_(0, config.InitializerRange);
                    linear.bias?.zero_();
                    break;
                case Embedding embedding:
                    embedding.weight!.normal_(0, config.InitializerRange);
                    break;
                case LayerNorm norm:
                    norm.weight?.fill_(1.0);
                    norm.bias?.zero_();
                    break;
            }
        }
        // After the loop: named_modules visits BertEmbeddings before its Embedding children.
        foreach (var module in root.named_modules().Select(m => m.module).Prepend(root))
            if (module is BertEmbeddings embeddings)
                embeddings.WordEmbeddings.weight![config.PadTokenId].zero_();
    }

    /// <summary>HF's <c>get_extended_attention_mask</c>: [batch, seq] of 1/0 → [batch, 1, 1, seq] of 0/dtype-min.</summary>
    public static Tensor AdditiveMask(Tensor attentionMask, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var mask = attentionMask.unsqueeze(1).unsqueeze(2).to(dtype);
        // HF: masked positions get the dtype's smallest value, so softmax gives them exactly 0.
        return ((1.0 - mask) * torch.finfo(dtype).min).MoveToOuterDisposeScope();
    }
}
