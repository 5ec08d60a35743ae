using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Loop;

[Collection(TorchState.Name)]
public sealed partial class MixedPrecisionTests
{
    /// <summary>TinyNet's layers, computing in ComputeDType when set: float32 weights, bf16 products.</summary>
    public sealed class MixedNet : nn.Module<Tensor, Tensor>, IMixedPrecisionModel
    {
        private readonly TorchSharp.Modules.Linear fc1 = nn.Linear(4, 16);
        private readonly TorchSharp.Modules.Linear fc2 = nn.Linear(16, 2);

        public MixedNet() : base(nameof(MixedNet)) => RegisterComponents();

        public ScalarType? ComputeDType { get; set; }
        public List<ScalarType> SeenDTypes { get; } = [];

        public override Tensor forward(Tensor x)
        {
            var dtype = ComputeDType ?? ScalarType.Float32;
            var h = nn.functional.relu(nn.functional.linear(x.to(dtype), fc1.weight!.to(dtype), fc1.bias!.to(dtype)));
            var logits = nn.functional.linear(h, fc2.weight!.to(dtype), fc2.bias!.to(dtype));
            SeenDTypes.Add(logits.dtype);
            return logits.to(ScalarType.Float32);   // the loss in float32, as autocast does
        }
    }

    [Dsl.Trainer]
    public partial class MixedTrainer(MixedNet model, TrainingArguments args)
    {
        [Dsl.TrainStep]
        Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
    }

    [Fact]
    public void Bf16_computes_in_bfloat16_and_keeps_float32_weights()
    {
        using var temp = new TempDirectory();
        torch.manual_seed(3);
        var model = new MixedNet();
        var trainer = new MixedTrainer(model, Args.Quiet(temp.Path) with { Bf16 = true, LearningRate = 1e-2, NumTrainEpochs = 3, LoggingSteps = 4 });
        trainer.Train(SampleData.Make(64));

        Assert.All(model.SeenDTypes, d => Assert.Equal(ScalarType.BFloat16, d));
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.Null(model.ComputeDType);   // restored after training
        var losses = trainer.State.LogHistory.Where(e => e.ContainsKey("loss")).Select(e => e["loss"]).ToList();
        Assert.True(losses[^1] < losses[0], $"loss did not fall: {string.Join(", ", losses)}");
    }

    [Fact]
    public void Fp16_with_Bf16_is_still_refused()
    {
#pragma warning disable DSL025 // deliberately impossible: the run-time check is what this test is about
        Assert.Contains("sets both Bf16 and Fp16", Assert.Throws<ArgumentException>(new TrainingArguments { Fp16 = true, Bf16 = true }.Validate).Message);
#pragma warning restore DSL025
        new TrainingArguments { Fp16 = true }.Validate();
    }

    [Fact]
    public void Fp16_on_a_mixed_precision_model_computes_in_float16_and_keeps_float32_weights()
    {
        using var temp = new TempDirectory();
        torch.manual_seed(3);
        var model = new MixedNet();
        var trainer = new MixedTrainer(model, Args.Quiet(temp.Path) with { Fp16 = true, LearningRate = 1e-2, NumTrainEpochs = 3, LoggingSteps = 4 });
        trainer.Train(SampleData.Make(64));

        Assert.All(model.SeenDTypes, d => Assert.Equal(ScalarType.Float16, d));
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.Null(model.ComputeDType);
        var losses = trainer.State.LogHistory.Where(e => e.ContainsKey("loss")).Select(e => e["loss"]).ToList();
        Assert.True(losses[^1] < losses[0], $"loss did not fall: {string.Join(", ", losses)}");
    }
}
