using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Modeling;

/// <summary>
/// Dropout whose mask is drawn in .NET rather than by libtorch's <c>bernoulli_</c>, which on the CPU
/// draws one element at a time on one thread and took ~17 % of a BERT-mini training step. The same
/// distribution (each element kept with probability 1 − p, kept elements scaled by 1/(1 − p)) and the
/// same gradient (the incoming gradient times the same mask); only the random stream differs from libtorch's.
/// </summary>
/// <remarks>
/// <para>The stream: one 63-bit seed per call is drawn from torch's default generator (so
/// <c>torch.manual_seed</c> decides it and a checkpoint's saved RNG state restores it), and element
/// <c>i</c> is kept when the 32-bit half <c>i mod 2</c> of SplitMix64(seed + ⌊i/2⌋·γ) is below
/// (1 − p)·2³². Each element's draw depends only on the seed and its index, so the mask is the same
/// whatever the thread count or the split of the work; chunks of large tensors are filled in parallel.</para>
/// <para>Off the CPU, for dtypes other than float32, and in eval mode it is libtorch's dropout
/// (identity in eval mode).</para>
/// </remarks>
public sealed class FastDropout : nn.Module<Tensor, Tensor>
{
    private const int Chunk = 1 << 16;          // elements per parallel work item
    private const int ParallelFrom = 1 << 18;   // smaller tensors are filled on the calling thread
    private readonly double _p;

    /// <summary>Dropout that zeroes each element with probability <paramref name="p"/> in training mode.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is not in [0, 1].</exception>
    public FastDropout(double p) : base("Dropout")
    {
        if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "The dropout probability must be between 0 and 1.");
        _p = p;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P => _p;

    /// <summary>The input with dropout applied in training mode; the input itself (a new handle) in eval mode.</summary>
    public override Tensor forward(Tensor input)
    {
        if (!training || _p == 0) return input.alias();
        if (input.device_type != DeviceType.CPU || input.dtype != ScalarType.Float32 || _p == 1)
            return nn.functional.dropout(input, _p, training: true);
        using var mask = Mask(input.shape, _p, NextSeed());
        return input.mul(mask);
    }

    /// <summary>A float32 tensor of <paramref name="shape"/> holding 0 (dropped) or 1/(1 − p) (kept).</summary>
    internal static Tensor Mask(long[] shape, double p, ulong seed) => Mask(shape, p, seed, first: 0);

    /// <summary>
    /// Elements <paramref name="first"/>, <paramref name="first"/> + 1, ... of the mask <see cref="Mask(long[], double, ulong)"/>
    /// would draw for a larger tensor with the same seed: a slice of a mask regenerated on its own (the
    /// memory-efficient attention rebuilds one batch element's mask at a time in backward).
    /// </summary>
    internal static Tensor Mask(long[] shape, double p, ulong seed, long first)
    {
        var mask = torch.empty(shape, ScalarType.Float32);
        long count = mask.numel();
        if (count == 0) return mask;
        // As libtorch: the scale is 1 divided by (1 − p) in float32.
        float scale = 1f / (float)(1 - p);
        uint threshold = (uint)Math.Min(Math.Round((1 - p) * 4294967296.0), uint.MaxValue);
        int chunks = (int)((count + Chunk - 1) / Chunk);
        if (count < ParallelFrom)
            Fill(MemoryMarshal.Cast<byte, float>(mask.bytes), first, seed, threshold, scale);
        else
            Parallel.For(0, chunks, c =>
            {
                long start = (long)c * Chunk;
                int length = (int)Math.Min(Chunk, count - start);
                Fill(MemoryMarshal.Cast<byte, float>(mask.bytes).Slice((int)start, length), first + start, seed, threshold, scale);
            });
        return mask;
    }

    // Elements start, start+1, ... of the mask. An odd start takes the upper half of its pair's draw
    // first, so every element gets the same bits whichever slice it is generated in.
    // wide: 16 elements at a time where the processor has AVX-512 (tests compare it with the plain loop).
    internal static void Fill(Span<float> values, long start, ulong seed, uint threshold, float scale, bool wide = true)
    {
        ulong counter = seed + (ulong)(start >> 1) * Gamma;
        int i = 0;
        if ((start & 1) != 0 && values.Length > 0)
        {
            values[0] = (uint)(Mix(counter) >> 32) < threshold ? scale : 0f;
            counter += Gamma;
            i = 1;
        }
        if (wide) i = FillWide(values, i, ref counter, threshold, scale);
        for (; i + 1 < values.Length; i += 2)
        {
            ulong bits = Mix(counter);
            counter += Gamma;
            values[i] = (uint)bits < threshold ? scale : 0f;
            values[i + 1] = (uint)(bits >> 32) < threshold ? scale : 0f;
        }
        if (i < values.Length) values[i] = (uint)Mix(counter) < threshold ? scale : 0f;
    }

    // Elements i, i+1, ... (element i the low half of draw counter) 16 at a time, 8 draws per vector: the same bits as the plain loop, element
    // for element (the low half of draw k is element 2k, its high half element 2k + 1, as the two halves of a
    // little-endian 64-bit lane). Returns where the plain loop goes on, and leaves counter at its next draw.
    private static int FillWide(Span<float> values, int i, ref ulong counter, uint threshold, float scale)
    {
        if (!Vector512.IsHardwareAccelerated || values.Length - i < 16) return i;
        var draws = Vector512.Create(counter) + Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7) * Gamma;
        var advance = Vector512.Create(unchecked(8 * Gamma));
        var limit = Vector512.Create(threshold);
        var kept = Vector512.Create(scale);
        ref float output = ref MemoryMarshal.GetReference(values);
        for (; i + 16 <= values.Length; i += 16)
        {
            var z = draws;
            z = (z ^ Vector512.ShiftRightLogical(z, 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ Vector512.ShiftRightLogical(z, 27)) * 0x94D049BB133111EBUL;
            z ^= Vector512.ShiftRightLogical(z, 31);
            var keep = Vector512.LessThan(z.AsUInt32(), limit).AsSingle();
            Vector512.ConditionalSelect(keep, kept, Vector512<float>.Zero).StoreUnsafe(ref output, (nuint)i);
            draws += advance;
        }
        counter = draws.GetElement(0);
        return i;
    }

    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    // SplitMix64's output function (Steele, Lea and Flood, 2014).
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    // One draw from torch's default generator per call, so seeding and checkpointed RNG state govern the masks.
    internal static ulong NextSeed()
    {
        using var draw = torch.randint(long.MaxValue, [1], dtype: ScalarType.Int64);
        return (ulong)draw.item<long>();
    }
}
