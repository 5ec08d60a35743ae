using Dsl.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Tests.Runtime;

/// <summary>The default optimizer: HF's parameter groups and AdamW settings.</summary>
public sealed class OptimizersTests
{
    private sealed class RootParameters : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter scale = new(torch.ones(3));
        private readonly Parameter bias = new(torch.zeros(3));
        private readonly Linear inner = nn.Linear(3, 3);

        public RootParameters() : base("root") => RegisterComponents();

        public override Tensor forward(Tensor x) => inner.forward(x * scale + bias);
    }

    [Fact]
    public void Biases_and_LayerNorm_weights_get_no_decay()
    {
        Assert.Equal(["fc1.weight", "fc2.weight"], Optimizers.DecayParameterNames(TinyNet.Create()).Order());
        Assert.Equal(["inner.weight", "scale"], Optimizers.DecayParameterNames(new RootParameters()).Order());
    }

    [Fact]
    public void The_default_AdamW_has_two_groups_with_HFs_settings()
    {
        var args = new TrainingArguments { LearningRate = 3e-4, WeightDecay = 0.01, AdamBeta1 = 0.8, AdamEpsilon = 1e-6 };
        var optimizer = Optimizers.AdamW(TinyNet.Create(), args);
        var groups = optimizer.ParamGroups.Cast<TorchSharp.Modules.AdamW.ParamGroup>().ToList();
        Assert.Equal(2, groups.Count);
        Assert.Equal(0.01, groups[0].Options.weight_decay);
        Assert.Equal(0.0, groups[1].Options.weight_decay);
        Assert.Equal(2, groups[0].Parameters.Count());
        Assert.Equal(4, groups[1].Parameters.Count());
        Assert.All(groups, g => Assert.Equal(3e-4, g.LearningRate));
        Assert.All(groups, g => Assert.Equal(0.8, g.Options.beta1));
        Assert.All(groups, g => Assert.Equal(0.999, g.Options.beta2));
        Assert.All(groups, g => Assert.Equal(1e-6, g.Options.eps));
    }

    [Fact]
    public void Optim_sgd_gives_SGD_with_the_same_groups()
    {
        var optimizer = Optimizers.FromArguments(TinyNet.Create(), new TrainingArguments { Optim = OptimizerType.Sgd, WeightDecay = 0.1 });
        Assert.IsType<Dsl.Optimization.SGD>(optimizer);
        Assert.Equal(2, optimizer.ParamGroups.Count());
    }
}
