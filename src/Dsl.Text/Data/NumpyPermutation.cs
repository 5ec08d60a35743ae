using System.Numerics;

namespace Dsl.Text.Data;

/// <summary>
/// NumPy's <c>np.random.default_rng(seed).permutation(n)</c>, bit for bit: SeedSequence, PCG64 and
/// Fisher–Yates with NumPy's bounded integers. Hugging Face datasets' <c>shuffle(seed)</c> draws its
/// order this way, so <c>Shuffle(42).Take(100)</c> selects the same rows as
/// <c>dataset.shuffle(seed=42).select(range(100))</c>, on every machine.
/// </summary>
internal sealed class NumpyPermutation
{
    // PCG64's 128-bit LCG multiplier (PCG_DEFAULT_MULTIPLIER_128).
    private static readonly UInt128 Multiplier = new(2549297995355413924UL, 4865540595714422341UL);
    private UInt128 _state;
    private readonly UInt128 _increment;
    private bool _hasHalf;
    private uint _half;

    private NumpyPermutation(ulong seed)
    {
        ulong[] words = SeedSequenceState(seed);
        UInt128 initState = new(words[0], words[1]);
        UInt128 initSequence = new(words[2], words[3]);
        // pcg_setseq_128_srandom_r
        _state = 0;
        _increment = (initSequence << 1) | 1;
        Step();
        _state += initState;
        Step();
    }

    /// <summary>The permutation of 0 .. <paramref name="n"/> − 1 NumPy draws for <paramref name="seed"/>.</summary>
    public static int[] Of(int n, ulong seed)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var random = new NumpyPermutation(seed);
        // NumPy's Generator.shuffle: for i from n-1 down to 1, swap i with an index in [0, i].
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)random.Interval((ulong)i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private void Step() => _state = _state * Multiplier + _increment;

    // XSL-RR output of the advanced state.
    internal ulong NextUInt64()
    {
        Step();
        ulong high = (ulong)(_state >> 64), low = (ulong)_state;
        return BitOperations.RotateRight(high ^ low, (int)(_state >> 122));
    }

    // NumPy hands out the two halves of one 64-bit draw, low half first.
    private uint NextUInt32()
    {
        if (_hasHalf)
        {
            _hasHalf = false;
            return _half;
        }
        ulong next = NextUInt64();
        _hasHalf = true;
        _half = (uint)(next >> 32);
        return (uint)next;
    }

    // NumPy's random_interval: rejection sampling under the smallest all-ones mask ≥ max.
    private ulong Interval(ulong max)
    {
        if (max == 0) return 0;
        ulong mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= mask >> 32;
        ulong value;
        if (max <= uint.MaxValue)
            while ((value = NextUInt32() & mask) > max) { }
        else
            while ((value = NextUInt64() & mask) > max) { }
        return value;
    }

    // NumPy's SeedSequence(seed).generate_state(4, np.uint64) with the default pool of four words.
    private static ulong[] SeedSequenceState(ulong seed)
    {
        const uint InitA = 0x43b0d7e5, MultA = 0x931e8875, InitB = 0x8b51f9dd, MultB = 0x58f38ded;
        const uint MixMultL = 0xca01f9dd, MixMultR = 0x4973f715;
        uint[] entropy = seed <= uint.MaxValue ? [(uint)seed] : [(uint)seed, (uint)(seed >> 32)];

        uint hashConst = InitA;
        uint HashMix(uint value)
        {
            value ^= hashConst;
            hashConst *= MultA;
            value *= hashConst;
            return value ^ (value >> 16);
        }
        static uint Mix(uint x, uint y)
        {
            uint result = MixMultL * x - MixMultR * y;
            return result ^ (result >> 16);
        }

        var pool = new uint[4];
        for (int i = 0; i < pool.Length; i++) pool[i] = HashMix(i < entropy.Length ? entropy[i] : 0);
        for (int src = 0; src < pool.Length; src++)
            for (int dst = 0; dst < pool.Length; dst++)
                if (src != dst) pool[dst] = Mix(pool[dst], HashMix(pool[src]));

        var state = new uint[8];
        uint constB = InitB;
        for (int i = 0; i < state.Length; i++)
        {
            uint value = pool[i % pool.Length] ^ constB;
            constB *= MultB;
            value *= constB;
            state[i] = value ^ (value >> 16);
        }
        var words = new ulong[4];
        for (int i = 0; i < words.Length; i++) words[i] = state[2 * i] | ((ulong)state[2 * i + 1] << 32);
        return words;
    }
}
