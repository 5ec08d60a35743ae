using Dsl.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Tests.Runtime;

/// <summary>The default optimizers' lean steps against TorchSharp's own AdamW and SGD.</summary>
[Collection(TorchState.Name)]
public sealed class LeanOptimizerTests
{
    private const int Steps = 100;

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    public void Lean_AdamW_matches_TorchSharps_AdamW_over_100_steps(double weightDecay)
    {
        var args = new TrainingArguments { LearningRate = 3e-3, WeightDecay = weightDecay, AdamBeta1 = 0.85, AdamBeta2 = 0.99, AdamEpsilon = 1e-6 };
        var lean = TinyNet.Create(seed: 5, dropoutRate: 0);
        var reference = TinyNet.Create(seed: 5, dropoutRate: 0);
        var (decay, noDecay) = Groups(reference);
        using var expected = new TorchSharp.Modules.AdamW(AdamWGroups(decay, noDecay, weightDecay),
            args.LearningRate, args.AdamBeta1, args.AdamBeta2, args.AdamEpsilon);
        using var actual = Optimizers.AdamW(lean, args);

        Train(lean, actual, reference, expected, Steps);

        AssertClose(reference, lean, 1e-6);
        AssertMoved(lean, TinyNet.Create(seed: 5, dropoutRate: 0));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void Lean_SGD_matches_TorchSharps_SGD_over_100_steps(double weightDecay)
    {
        var args = new TrainingArguments { Optim = OptimizerType.Sgd, LearningRate = 0.05, WeightDecay = weightDecay };
        var lean = TinyNet.Create(seed: 6, dropoutRate: 0);
        var reference = TinyNet.Create(seed: 6, dropoutRate: 0);
        var (decay, noDecay) = Groups(reference);
        using var expected = new TorchSharp.Modules.SGD(new TorchSharp.Modules.SGD.ParamGroup[]
        {
            new(decay, new TorchSharp.Modules.SGD.Options { weight_decay = weightDecay }),
            new(noDecay, new TorchSharp.Modules.SGD.Options { weight_decay = 0.0 }),
        }, args.LearningRate);
        using var actual = Optimizers.FromArguments(lean, args);
        Assert.IsType<Dsl.Optimization.SGD>(actual);

        Train(lean, actual, reference, expected, Steps);

        AssertClose(reference, lean, 1e-6);
        AssertMoved(lean, TinyNet.Create(seed: 6, dropoutRate: 0));
    }

    [Fact]
    public void Lean_AdamW_state_saves_and_loads_in_TorchSharps_format()
    {
        var args = new TrainingArguments { LearningRate = 1e-2, WeightDecay = 0.01 };
        var first = TinyNet.Create(seed: 7, dropoutRate: 0);
        var reference = TinyNet.Create(seed: 7, dropoutRate: 0);
        using var firstOptimizer = Optimizers.AdamW(first, args);
        using var referenceOptimizer = Optimizers.AdamW(reference, args);
        Train(first, firstOptimizer, reference, referenceOptimizer, 10);

        // Resume: a new model with the trained weights, a TorchSharp AdamW loading the lean one's state.
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) firstOptimizer.save_state_dict(writer);
        var resumed = TinyNet.Create(seed: 99, dropoutRate: 0);
        using (no_grad())
            foreach (var (p, q) in resumed.parameters().Zip(first.parameters())) p.copy_(q);
        var (decay, noDecay) = Groups(resumed);
        using var plain = new TorchSharp.Modules.AdamW(AdamWGroups(decay, noDecay, 0.01), args.LearningRate);
        buffer.Position = 0;
        using (var reader = new BinaryReader(buffer)) plain.load_state_dict(reader);

        Train(resumed, plain, reference, referenceOptimizer, 20, firstStep: 10);

        AssertClose(reference, resumed, 1e-6);
    }

    [Fact]
    public void AMSGrad_falls_back_to_TorchSharps_step()
    {
        var lean = TinyNet.Create(seed: 8, dropoutRate: 0);
        var reference = TinyNet.Create(seed: 8, dropoutRate: 0);
        using var actual = new Dsl.Optimization.AdamW([new TorchSharp.Modules.AdamW.ParamGroup(lean.parameters(), new TorchSharp.Modules.AdamW.Options())], lr: 1e-2, amsgrad: true);
        using var expected = optim.AdamW(reference.parameters(), lr: 1e-2, beta2: 0.999, amsgrad: true);

        Train(lean, actual, reference, expected, 20);

        foreach (var (p, q) in reference.parameters().Zip(lean.parameters()))
            Assert.True((p - q).abs().max().item<float>() == 0, "AMSGrad should run TorchSharp's own step, bit for bit.");
    }

    // Both models see the same batches; the rate falls linearly, as a schedule would set it.
    private static void Train(TinyNet a, optim.Optimizer aOptimizer, TinyNet b, optim.Optimizer bOptimizer, int steps, int firstStep = 0)
    {
        var generator = new torch.Generator(11);
        for (int step = 0; step < firstStep; step++) { torch.randn(8, 4, generator: generator).Dispose(); torch.randint(0, 2, 8, generator: generator).Dispose(); }
        double[] initial = aOptimizer.ParamGroups.Select(g => g.InitialLearningRate).ToArray();
        for (int step = firstStep; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var x = torch.randn(8, 4, generator: generator);
            var y = torch.randint(0, 2, 8, generator: generator);
            foreach (var (model, optimizer) in new (TinyNet, optim.Optimizer)[] { (a, aOptimizer), (b, bOptimizer) })
            {
                int g = 0;
                foreach (var group in optimizer.ParamGroups) group.LearningRate = initial[g++] * (1.0 - step / 200.0);
                nn.functional.cross_entropy(model.forward(x), y).backward();
                optimizer.step();
                optimizer.zero_grad();
            }
        }
    }

    private static TorchSharp.Modules.AdamW.ParamGroup[] AdamWGroups(List<Parameter> decay, List<Parameter> noDecay, double weightDecay) =>
    [
        new(decay, new TorchSharp.Modules.AdamW.Options { weight_decay = weightDecay }),
        new(noDecay, new TorchSharp.Modules.AdamW.Options { weight_decay = 0.0 }),
    ];

    private static (List<Parameter> Decay, List<Parameter> NoDecay) Groups(nn.Module model)
    {
        var names = Optimizers.DecayParameterNames(model).ToHashSet();
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (var (name, p) in model.named_parameters()) (names.Contains(name) ? decay : noDecay).Add(p);
        return (decay, noDecay);
    }

    private static void AssertClose(nn.Module expected, nn.Module actual, double tolerance)
    {
        foreach (var ((name, p), (_, q)) in expected.named_parameters().Zip(actual.named_parameters()))
        {
            double difference = (p - q).abs().max().item<float>();
            Assert.True(difference <= tolerance, $"{name} differs by {difference:E2} (tolerance {tolerance:E0}).");
        }
    }

    private static void AssertMoved(nn.Module trained, nn.Module initial)
    {
        double moved = trained.parameters().Zip(initial.parameters()).Max(pair => (pair.First - pair.Second).abs().max().item<float>());
        Assert.True(moved > 1e-2, $"Training should move the weights; the largest change is {moved:E2}.");
    }
}
