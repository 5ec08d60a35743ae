using TorchSharp;
using Dsl.Memory;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Dsl.Text.Modeling;

/// <summary>
/// softmax(QKᵀ·scale + mask) with dropout, times V, keeping none of the [seq × seq] matrices for
/// backward: the scores, probabilities and dropout mask are computed a few batch elements at a time and
/// computed again in backward, as flash attention does. It is what <c>attn_implementation="sdpa"</c>
/// trains with on the CPU when the attention dropout is above 0, where libtorch's
/// <c>scaled_dot_product_attention</c> has no fused kernel and falls back to one that keeps all three.
/// </summary>
/// <remarks>
/// The dropout mask is <see cref="FastDropout"/>'s: one seed per call, element i of the
/// [batch, heads, seq, seq] probabilities kept by the counter-based draw i, so backward regenerates each
/// chunk's mask from the seed and the chunk's first index, and eager attention with the same seed
/// drops exactly the same weights.
/// </remarks>
internal sealed class MemoryEfficientAttention : SingleTensorFunction<MemoryEfficientAttention>
{
    /// <summary>A chunk's [chunk, heads, seq, seq] matrices stay under this many elements (4 Mi floats, 16 MiB each), unless one element is larger; tests make it small.</summary>
    internal static long ChunkElements { get; set; } = BertConfig.AttentionChunkElements;

    /// <inheritdoc/>
    public override string Name => nameof(MemoryEfficientAttention);

    /// <summary>What the kernel needs besides the tensors.</summary>
    internal sealed record Settings(double DropoutP, ulong Seed, double Scale, ScalarType? ComputeDType);

    /// <summary>
    /// Attention of <paramref name="query"/>, <paramref name="key"/>, <paramref name="value"/> [batch, heads, seq, head_size]
    /// with <paramref name="additiveMask"/> [batch, 1, 1, seq] (or null), dropout <paramref name="p"/> drawn from torch's generator.
    /// </summary>
    public static Tensor Apply(Tensor query, Tensor key, Tensor value, Tensor? additiveMask, double p, ScalarType? computeDType)
    {
        CustomBackward.ThrowIfFailed();
        var settings = new Settings(p, FastDropout.NextSeed(), 1.0 / Math.Sqrt(query.shape[^1]), computeDType);
        return apply(query, key, value, additiveMask!, settings);
    }

    /// <inheritdoc/>
    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (q, k, v, mask) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], vars[3] as Tensor);
        var settings = (Settings)vars[4];
        ctx.save_for_backward([q, k, v, mask!]);
        ctx.save_data(nameof(Settings), settings);
        var output = torch.empty_like(q);
        foreach (var (start, count) in Chunks(q))
        {
            using var scope = NewDisposeScope();
            var (qc, kc, vc, mc) = Slice(start, count, q, k, v, mask);
            var (probabilities, dropMask) = Probabilities(qc, kc, mc, settings, First(q, start));
            output.narrow(0, start, count).copy_(MatMul(probabilities.mul_(dropMask), vc, settings));
        }
        return output;
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output) =>
        CustomBackward.Run(() => Gradients(ctx, grad_output), grad_output, "the memory-efficient attention's backward",
            () => [grad_output, grad_output, grad_output, null, null]);

    private static List<Tensor> Gradients(AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var (q, k, v, mask) = (saved[0], saved[1], saved[2], saved[3].IsInvalid ? null : saved[3]);
        var settings = (Settings)ctx.get_data(nameof(Settings));
        var (dq, dk, dv) = (torch.empty_like(q), torch.empty_like(k), torch.empty_like(v));
        foreach (var (start, count) in Chunks(q))
        {
            using var scope = NewDisposeScope();
            var (qc, kc, vc, mc) = Slice(start, count, q, k, v, mask);
            var dOut = gradOutput.narrow(0, start, count);
            var (probabilities, dropMask) = Probabilities(qc, kc, mc, settings, First(q, start));
            // out = (P ⊙ M) V: dV = (P ⊙ M)ᵀ dOut, d(P ⊙ M) = dOut Vᵀ, dP = that ⊙ M.
            dv.narrow(0, start, count).copy_(MatMul(probabilities.mul(dropMask).transpose(-1, -2), dOut, settings));
            var dProbabilities = MatMul(dOut, vc.transpose(-1, -2), settings).mul_(dropMask);
            // Softmax: dS = P ⊙ (dP − Σ_j dP_j P_j); then the scale, and S = Q Kᵀ.
            var dScores = dProbabilities.sub(dProbabilities.mul(probabilities).sum(-1, keepdim: true)).mul_(probabilities).mul_(settings.Scale);
            dq.narrow(0, start, count).copy_(MatMul(dScores, kc, settings));
            dk.narrow(0, start, count).copy_(MatMul(dScores.transpose(-1, -2), qc, settings));
        }
        return [dq, dk, dv, null!, null!];
    }

    // softmax(Q Kᵀ · scale + mask) of a chunk, and its dropout mask (the chunk's slice of the whole mask).
    private static (Tensor Probabilities, Tensor Mask) Probabilities(Tensor q, Tensor k, Tensor? mask, Settings settings, long first)
    {
        var scores = MatMul(q, k.transpose(-1, -2), settings).mul_(settings.Scale);
        if (mask is not null) scores.add_(mask);
        var probabilities = scores.softmax(-1);
        var dropMask = FastDropout.Mask(probabilities.shape, settings.DropoutP, settings.Seed, first);
        return (probabilities, dropMask.dtype == probabilities.dtype ? dropMask : dropMask.to(probabilities.dtype));
    }

    // As ComputePrecision.MatMul: the product in the compute dtype, the result in the inputs' dtype.
    private static Tensor MatMul(Tensor left, Tensor right, Settings settings) =>
        settings.ComputeDType is { } dtype && dtype != left.dtype
            ? left.to(dtype).matmul(right.to(dtype)).to(left.dtype)
            : left.matmul(right);

    // Batch elements per chunk: as many as keep a chunk's [chunk, heads, seq, seq] under ChunkElements.
    private static IEnumerable<(long Start, long Count)> Chunks(Tensor q)
    {
        long batch = q.shape[0], perElement = q.shape[1] * q.shape[2] * q.shape[2];
        long size = Math.Clamp(ChunkElements / Math.Max(1, perElement), 1, Math.Max(1, batch));
        for (long start = 0; start < batch; start += size) yield return (start, Math.Min(size, batch - start));
    }

    private static (Tensor, Tensor, Tensor, Tensor?) Slice(long start, long count, Tensor q, Tensor k, Tensor v, Tensor? mask) =>
        (q.narrow(0, start, count), k.narrow(0, start, count), v.narrow(0, start, count),
         mask is null || mask.shape[0] == 1 ? mask : mask.narrow(0, start, count));

    // The flat index, in the [batch, heads, seq, seq] probabilities, of batch element start's first weight.
    private static long First(Tensor q, long start) => start * q.shape[1] * q.shape[2] * q.shape[2];
}
