using Dsl.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Tests.Loop;

[Collection(TorchState.Name)]
public sealed class GradientClippingTests
{
    public static TheoryData<double, int> Cases()
    {
        var data = new TheoryData<double, int>();
        foreach (double maxNorm in new[] { 0.05, 0.3, 1.0, 1000.0 })
            for (int seed = 0; seed < 8; seed++) data.Add(maxNorm, seed);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Clipping_on_the_device_matches_TorchSharps_clip_grad_norm(double maxNorm, int seed)
    {
        var a = TinyNet.Create(seed: seed);
        var b = TinyNet.Create(seed: seed);
        foreach (var net in new[] { a, b })
        {
            torch.manual_seed(seed);
            using var x = torch.randn(32, 4);
            using var y = torch.randint(0, 2, [32]);
            net.eval();
            nn.functional.cross_entropy(net.forward(x), y).backward();
        }

        double expectedNorm = torch.nn.utils.clip_grad_norm_(a.parameters(), maxNorm);
        using var clipper = new GradientClipper(b.parameters().ToArray());
        using var norm = clipper.Clip(maxNorm)!;

        Assert.Equal((float)expectedNorm, norm.item<float>());
        var pa = a.parameters().ToArray();
        var pb = b.parameters().ToArray();
        for (int i = 0; i < pa.Length; i++)
            Assert.Equal(pa[i].grad!.data<float>().ToArray(), pb[i].grad!.data<float>().ToArray());
    }

    [Fact]
    public void Clipping_without_gradients_returns_null()
    {
        var net = TinyNet.Create();
        using var clipper = new GradientClipper(net.parameters().ToArray());
        Assert.Null(clipper.Clip(1.0));
    }
}
