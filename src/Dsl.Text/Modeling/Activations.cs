using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

/// <summary>HF's <c>ACT2FN</c> for the activations BERT checkpoints use.</summary>
internal static class Activations
{
    /// <summary>The function named by <c>hidden_act</c>.</summary>
    /// <exception cref="ArgumentException">The name is not one HF's BERT accepts here.</exception>
    public static Func<Tensor, Tensor> Of(string name) => name switch
    {
        // HF: "gelu" is the exact GELU, 0.5·x·(1 + erf(x/√2)), not the tanh approximation.
        "gelu" => x => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" => x => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        "relu" => x => nn.functional.relu(x),
        "silu" or "swish" => x => nn.functional.silu(x),
        "tanh" => x => x.tanh(),
        _ => throw new ArgumentException(
            $"hidden_act '{name}' is not supported; use gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish or tanh."),
    };
}
