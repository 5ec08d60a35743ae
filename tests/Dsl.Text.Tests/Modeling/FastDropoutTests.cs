using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Tests.Modeling;

/// <summary>The BERT's dropout: libtorch's distribution and gradient, a mask that depends only on the seed.</summary>
/// <remarks>Alone in time: the tests seed torch's global generator and change its thread count.</remarks>
[Collection(nameof(Dsl.Text.Tests.Training.SeededRuns))]
public sealed class FastDropoutTests
{
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void Each_element_is_kept_with_probability_one_minus_p_and_scaled(double p)
    {
        const int n = 1 << 21;
        var dropout = new FastDropout(p);
        dropout.train();
        torch.manual_seed(3);
        using var input = torch.rand(n) + 0.5;   // no zeros, so a zero output means dropped
        using var output = dropout.forward(input);

        using var kept = output.ne(0);
        double keepRate = kept.to(ScalarType.Float64).mean().item<double>();
        // Binomial: five standard deviations of the observed rate.
        double sigma = Math.Sqrt(p * (1 - p) / n);
        Assert.InRange(keepRate, 1 - p - 5 * sigma, 1 - p + 5 * sigma);
        // Kept elements are the input × 1/(1 − p); the mean is unbiased.
        using var expected = input * (1f / (float)(1 - p));
        Assert.True(output.masked_select(kept).allclose(expected.masked_select(kept), rtol: 0, atol: 1e-6));
        double ratio = output.mean().item<float>() / input.mean().item<float>();
        double ratioSigma = Math.Sqrt(p / (1 - p) / n) * 1.2;   // the mask's relative spread, widened for the input's
        Assert.InRange(ratio, 1 - 6 * ratioSigma, 1 + 6 * ratioSigma);
    }

    [Fact]
    public void Neighbouring_elements_are_independent()
    {
        // The two halves of one 64-bit draw decide elements 2k and 2k+1: their agreement must be that
        // of independent coins, as must that of elements 2k+1 and 2k+2 (different draws).
        const double p = 0.5;
        using var mask = FastDropout.Mask([1 << 20], p, seed: 12345).ne(0).to(ScalarType.Float64);
        using var even = mask.slice(0, 0, (1 << 20) - 2, 2);
        using var odd = mask.slice(0, 1, (1 << 20) - 1, 2);
        using var next = mask.slice(0, 2, 1 << 20, 2);
        double sigma = Math.Sqrt(0.25 / (1 << 19));
        Assert.InRange((even * odd).mean().item<double>(), 0.25 - 5 * sigma, 0.25 + 5 * sigma);
        Assert.InRange((odd * next).mean().item<double>(), 0.25 - 5 * sigma, 0.25 + 5 * sigma);
    }

    [Fact]
    public void The_same_seed_gives_the_same_mask_at_any_thread_count_and_another_seed_another()
    {
        var dropout = new FastDropout(0.1);
        dropout.train();
        using var input = torch.ones(64, 128, 256);   // large enough to be filled in parallel
        int threads = torch.get_num_threads();
        try
        {
            torch.manual_seed(7);
            using var first = dropout.forward(input);
            using var second = dropout.forward(input);
            torch.set_num_threads(1);
            torch.manual_seed(7);
            using var again = dropout.forward(input);
            Assert.Equal(0, (first - again).abs().max().item<float>());
            Assert.NotEqual(0, (first - second).abs().max().item<float>());
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }

    [Theory]
    [InlineData(0, 1000)]       // not a multiple of 16: the plain loop finishes the vector loop's work
    [InlineData(65536, 65536)]  // a later chunk, as Parallel.For fills it
    [InlineData(0, 15)]         // shorter than one vector
    [InlineData(2, 33)]         // an odd length after an even start
    [InlineData(1, 40)]         // an odd start: the upper half of a draw first, then whole draws
    [InlineData(65537, 100)]
    public void The_vectorised_fill_draws_the_same_mask_as_the_plain_loop(long start, int length)
    {
        var random = new Random(11);
        foreach (double p in new[] { 0.1, 0.5, 0.9 })
        {
            ulong seed = (ulong)random.NextInt64();
            uint threshold = (uint)Math.Round((1 - p) * 4294967296.0);
            float scale = 1f / (float)(1 - p);
            var wide = new float[length];
            var plain = new float[length];
            FastDropout.Fill(wide, start, seed, threshold, scale, wide: true);
            FastDropout.Fill(plain, start, seed, threshold, scale, wide: false);
            Assert.Equal(plain, wide);
            if (length >= 100) Assert.Contains(0f, plain);   // a mask, not all kept
        }
    }

    [Fact]
    public void The_gradient_is_the_incoming_gradient_times_the_same_mask()
    {
        var dropout = new FastDropout(0.3);
        dropout.train();
        torch.manual_seed(5);
        using var input = torch.randn(32, 128, 64).requires_grad_();
        using var output = dropout.forward(input);
        output.sum().backward();
        using var grad = input.grad!;
        using var expected = output.detach().ne(0).to(ScalarType.Float32) * (1f / 0.7f);
        Assert.Equal(0, (grad - expected).abs().max().item<float>());
    }

    [Fact]
    public void Eval_mode_is_the_identity_and_p_outside_0_1_is_refused()
    {
        var dropout = new FastDropout(0.5);
        dropout.eval();
        using var input = torch.randn(100);
        using var output = dropout.forward(input);
        Assert.Equal(0, (output - input).abs().max().item<float>());
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FastDropout(1.5));
        Assert.Contains("between 0 and 1", error.Message);
    }

    [Theory]
    [InlineData(0L, 1000L)]
    [InlineData(1L, 999L)]          // an odd start takes the upper half of its pair's draw
    [InlineData(333L, 500L)]
    [InlineData(1L << 17, 1L << 19)]   // large enough to be filled in parallel
    public void A_slice_regenerated_from_its_first_index_equals_that_slice_of_the_whole_mask(long first, long count)
    {
        long total = first + count + 7;
        using var whole = FastDropout.Mask([total], 0.3, seed: 99);
        using var slice = FastDropout.Mask([count], 0.3, seed: 99, first);
        using var expected = whole.narrow(0, first, count);
        Assert.True(slice.eq(expected).all().item<bool>());
    }
}
