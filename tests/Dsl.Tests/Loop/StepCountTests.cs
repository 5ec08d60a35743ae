using Dsl.Tests.Support;
using TorchSharp.Modules;

namespace Dsl.Tests.Loop;

/// <summary>Optimizer and schedule step counts against HF's formula (trainer.py, set_initial_training_values).</summary>
[Collection(TorchState.Name)]
public sealed class StepCountTests
{
    // HF: updates per epoch = ceil(batches / GA); max_steps = ceil(epochs × updates), or MaxSteps.
    private static int HfMaxSteps(int examples, int batch, int ga, double epochs, int maxSteps, bool dropLast)
    {
        int batches = dropLast ? examples / batch : (examples + batch - 1) / batch;
        int updates = Math.Max(1, batches / ga + (batches % ga > 0 ? 1 : 0));
        return maxSteps > 0 ? maxSteps : (int)Math.Ceiling(epochs * updates);
    }

    [Theory]
    [InlineData(64, 8, 1, 1.0, -1, false)]   // 8 batches, 8 steps
    [InlineData(70, 8, 1, 2.0, -1, false)]   // short last batch
    [InlineData(70, 8, 4, 1.0, -1, false)]   // 9 batches → windows 4, 4, 1
    [InlineData(70, 8, 4, 3.0, -1, false)]
    [InlineData(70, 8, 3, 1.0, -1, true)]    // drop last: 8 batches → windows 3, 3, 2
    [InlineData(50, 5, 2, 1.5, -1, false)]   // fractional epochs stop mid-epoch
    [InlineData(64, 8, 1, 3.0, 5, false)]    // MaxSteps overrides epochs
    [InlineData(64, 8, 3, 1.0, 7, false)]    // MaxSteps beyond one epoch
    public void Optimizer_and_schedule_steps_follow_HFs_formula(int examples, int batch, int ga, double epochs, int maxSteps, bool dropLast)
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            PerDeviceTrainBatchSize = batch,
            GradientAccumulationSteps = ga,
            NumTrainEpochs = epochs,
            MaxSteps = maxSteps,
            DataloaderDropLast = dropLast,
        };
        var trainer = new ParityTrainer(TinyNet.Create(), args);
        var output = trainer.Train(SampleData.Make(examples));

        int expected = HfMaxSteps(examples, batch, ga, epochs, maxSteps, dropLast);
        Assert.Equal(expected, trainer.State.MaxSteps);
        Assert.Equal(expected, output.GlobalStep);
        Assert.Equal(expected, trainer.Schedule!.LastStep);
        // AdamW counts its own updates per parameter.
        var adam = (AdamW.State)((AdamW)trainer.Optimizer!).state_dict().State[0];
        Assert.Equal(expected, adam.step);
    }

    [Fact]
    public void Every_batch_of_the_run_is_a_forward_pass()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 4, NumTrainEpochs = 2 };
        var trainer = new ParityTrainer(TinyNet.Create(), args);
        trainer.Train(SampleData.Make(70));
        Assert.Equal(18, trainer.Losses.Count);      // 9 batches × 2 epochs
        Assert.Equal(6, trainer.State.GlobalStep);   // windows 4, 4, 1 per epoch
        Assert.Equal(2.0, trainer.State.Epoch);
    }
}
