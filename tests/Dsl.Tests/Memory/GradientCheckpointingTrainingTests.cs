using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Memory;

/// <summary>TrainingArguments.GradientCheckpointing through the generated loop: the same weights as without it.</summary>
[Collection(TorchState.Name)]
public sealed class GradientCheckpointingTrainingTests
{
    private static readonly List<Sample> Data = SampleData.Make(96);

    private static TrainingArguments Arguments(string dir) => Args.Quiet(dir) with { NumTrainEpochs = 2, LearningRate = 1e-2 };

    private static Dictionary<string, Tensor> Train(TrainingArguments args, bool stream = false, string? resume = null)
    {
        using var model = CheckpointedNet.Create();
        var trainer = new CheckpointedTrainer(model, args);
        if (stream) trainer.Train(Data.AsEnumerable());
        else trainer.Train(Data, resumeFromCheckpoint: resume);
        Assert.Equal(args.GradientCheckpointing, GradientCheckpointingOn(model));
        return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
    }

    private static bool GradientCheckpointingOn(CheckpointedNet model) => ((Dsl.Memory.IGradientCheckpointing)model).IsGradientCheckpointing;

    private static void AssertSame(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        foreach (var (name, weight) in expected)
            Assert.True(weight.eq(actual[name]).all().item<bool>(), $"{name} differs with gradient checkpointing");
    }

    [Theory]
    [InlineData(1, false, false)]
    [InlineData(3, false, false)]   // gradient accumulation
    [InlineData(2, true, false)]    // bf16 on working copies
    [InlineData(1, false, true)]    // fp16 with loss scaling
    public void Training_with_checkpointing_ends_with_the_weights_of_training_without(int accumulation, bool bf16, bool fp16)
    {
        using var temp = new TempDirectory();
        var args = Arguments(temp.Path) with { GradientAccumulationSteps = accumulation, Bf16 = bf16, Fp16 = fp16 };
        AssertSame(Train(args), Train(args with { GradientCheckpointing = true }));
    }

    [Fact]
    public void A_streamed_dataset_trains_the_same_with_checkpointing()
    {
        using var temp = new TempDirectory();
        var args = Arguments(temp.Path) with { MaxSteps = 15 };
        AssertSame(Train(args, stream: true), Train(args with { GradientCheckpointing = true }, stream: true));
    }

    [Fact]
    public void A_checkpointed_run_resumed_from_a_checkpoint_ends_as_the_uninterrupted_run_without_checkpointing()
    {
        using var temp = new TempDirectory();
        var args = Arguments(temp.Path) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 7 };
        var plain = Train(args);
        var resumed = Train(args with { GradientCheckpointing = true }, resume: Path.Combine(temp.Path, "checkpoint-7"));
        AssertSame(plain, resumed);
    }

    [Fact]
    public void A_model_without_checkpointing_support_is_refused_by_name()
    {
        using var temp = new TempDirectory();
        using var model = TinyNet.Create();
#pragma warning disable DSL053 // the analyzer reports it at compile time; this checks what Train does when it is not seen
        var trainer = new DefaultsTrainer(model, Args.Quiet(temp.Path) with { GradientCheckpointing = true });
#pragma warning restore DSL053
        var e = Assert.Throws<NotSupportedException>(() => trainer.Train(Data));
        Assert.Contains("TrainingArguments.GradientCheckpointing is on, but TinyNet does not support gradient checkpointing", e.Message);
        Assert.Contains("IGradientCheckpointing", e.Message);
    }
}
