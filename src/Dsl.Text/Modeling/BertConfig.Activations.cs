using Dsl.Memory;
using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

public sealed partial record BertConfig
{
    // The memory-efficient attention's chunk: its [chunk, heads, seq, seq] temporaries (about five at once).
    internal const long AttentionChunkElements = 1L << 22;

    /// <summary>
    /// The activation memory of a BERT of this configuration for one batch (see <see cref="IActivationMemory"/>),
    /// counted from what each layer's operations keep for backward: the inputs of its four linear layers, the
    /// fused Q/K/V output, two dropout masks, two LayerNorm inputs and the GELU input, and with eager attention
    /// the softmax output, its dropout mask and the dropped probabilities ([batch, heads, seq, seq] each).
    /// </summary>
    public ActivationMemory EstimateActivations(ActivationQuery query)
    {
        double b = query.BatchSize, s = query.SequenceLength, h = HiddenSize, inner = IntermediateSize, heads = NumAttentionHeads;
        double tokens = b * s;
        bool eager = ResolvedAttnImplementation == AttentionImplementations.Eager;
        bool low = query.ComputeDType is ScalarType.BFloat16 or ScalarType.Float16;
        // Under mixed precision the linear layers and the attention products keep their low-precision input copies.
        double linearBytes = low ? 2 : 4;
        double scores = b * heads * s * s;

        if (!query.Training)
        {
            // No graph: one layer's temporaries at a time.
            double layerTemporaries = tokens * (5 * h + inner) * 4 + (eager ? 2 * scores * 4 : 0);
            return new ActivationMemory(tokens * h * 4, layerTemporaries, null);
        }

        double linearInputs = tokens * (3 * h + inner) * linearBytes;
        // sdpa's kernel keeps Q, K and V as the projection returns them (float32); eager's products keep their low-precision copies.
        double fusedQkv = tokens * 3 * h * (eager ? linearBytes : 4);
        double masksAndNorms = tokens * 4 * h * 4;   // two dropout masks, two LayerNorm inputs
        double gelu = tokens * inner * 4;
        double attention = eager ? scores * (4 + 4 + linearBytes) : 0;
        double fusedWeight = (3 * h * h + 3 * h) * linearBytes;   // the concatenated Q/K/V weight, kept for its gradient
        if (low) fusedWeight += (h * h + 2 * h * inner) * 2;       // and the other linear weights' low-precision copies
        double layer = linearInputs + fusedQkv + masksAndNorms + gelu + attention + fusedWeight;
        double embeddings = tokens * 3 * h * 4;   // LayerNorm input, dropout mask, output

        // On top of what is kept: backward frees each layer's activations as it creates that layer's
        // gradients, so the peak is the end of the forward plus a few [batch, seq, hidden] gradients and the
        // attention's own temporaries (eager: the pre-softmax scores; sdpa: one chunk's matrices). Under
        // checkpointing, the recomputed layer on top of the kept inputs, whose backward likewise frees its
        // [seq × seq] matrices as it builds their gradients. Fitted to peaks under a cgroup, docs/benchmarks.md.
        double chunk = Math.Min(scores, Math.Max(heads * s * s, AttentionChunkElements));
        double gradients = tokens * 4 * h * 4;
        double sdpaChunk = eager ? 0 : 2 * chunk * 4;
        if (!query.GradientCheckpointing)
            return new ActivationMemory(embeddings + NumHiddenLayers * layer, gradients + (eager ? scores * 4 : sdpaChunk), eager ? EagerAdvice : null);

        // Checkpointing: each layer keeps its input; backward rebuilds one layer's activations at a time.
        double inputs = NumHiddenLayers * tokens * h * 4;
        return new ActivationMemory(embeddings + inputs, layer + gradients + sdpaChunk, eager ? EagerAdvice : null);
    }

    private const string EagerAdvice =
        "attn_implementation 'sdpa' instead of 'eager' (it keeps none of the [batch, heads, seq, seq] attention matrices)";
}
