using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Loop;

/// <summary>
/// A trainer whose base class also takes its TrainingArguments (valid C#; DSL035 used to refuse it) builds with
/// warnings as errors and trains exactly as the same trainer without the base class.
/// </summary>
[Collection(TorchState.Name)]
public sealed class BaseClassTests
{
    [Fact]
    public void A_trainer_passing_its_arguments_to_the_base_class_trains_as_one_that_does_not()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { NumTrainEpochs = 2 };
        var plain = TinyNet.Create(seed: 4);
        new DefaultsTrainer(plain, args).Train(SampleData.Make(40));
        var based = TinyNet.Create(seed: 4);
        var trainer = new BaseArgumentsTrainer(based, args);
        trainer.Train(SampleData.Make(40));

        Assert.Equal(Path.GetFileName(temp.Path), trainer.RunName);
        Assert.Equal(10, trainer.State.GlobalStep);
        Assert.Equal(plain.Snapshot()["fc1.weight"], based.Snapshot()["fc1.weight"]);
    }
}

public abstract class RunNamed(TrainingArguments args)
{
    public string RunName { get; } = Path.GetFileName(args.OutputDir);
}

[Trainer]
public partial class BaseArgumentsTrainer(TinyNet model, TrainingArguments args) : RunNamed(args)
{
    [TrainStep]
    Tensor Step(SampleBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
}
