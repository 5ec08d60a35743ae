using Dsl.Checkpoints;
using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Reliability;

/// <summary>A trainer whose loss turns NaN at chosen optimizer steps (batch size = one step).</summary>
[Trainer]
public partial class NanTrainer(TinyNet model, TrainingArguments args, int[] nanAtSteps)
{
    private int _calls;

    [TrainStep]
    Tensor Step(SampleBatch batch)
    {
        var loss = nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
        return Array.IndexOf(nanAtSteps, ++_calls) >= 0 ? loss.mul(double.NaN) : loss;
    }
}

/// <summary>
/// A NaN or infinite loss is warned about at its step, and the policy decides: carry on as HF, skip the
/// update, or stop keeping the last good checkpoint (issue 12, defect 7).
/// </summary>
[Collection(TorchState.Name)]
public sealed class NonFiniteLossTests
{
    private static (TinyNet Model, string Warnings) Train(TrainingArguments args, int[] nanAt, Action<NanTrainer>? check = null)
    {
        var model = TinyNet.Create(seed: 3);
        var trainer = new NanTrainer(model, args with { ReportTo = ["console"] }, nanAt);
        var errors = new StringWriter();
        var (output, error) = (Console.Out, Console.Error);
        Console.SetOut(TextWriter.Null);
        Console.SetError(errors);
        try
        {
            if (check is null) trainer.Train(SampleData.Make(80));
            else check(trainer);
        }
        finally
        {
            Console.SetOut(output);
            Console.SetError(error);
        }
        return (model, errors.ToString());
    }

    private static TrainingArguments Arguments(string dir) => Args.Quiet(dir) with
    {
        LrSchedulerType = SchedulerType.Constant, MaxSteps = 6, LoggingSteps = 2,
    };

    [Fact]
    public void Carrying_on_as_HF_warns_once_at_the_first_NaN_step()
    {
        using var temp = new TempDirectory();
        var (model, warnings) = Train(Arguments(temp.Path), [3, 4]);
        Assert.Contains("Warning: step 3: the loss is NaN", warnings);
        Assert.DoesNotContain("step 4", warnings);
        Assert.Contains(model.Snapshot().Values, v => v.Any(float.IsNaN));   // HF applies it
    }

    [Fact]
    public void Skipping_leaves_the_weights_as_a_run_without_those_steps()
    {
        using var temp = new TempDirectory();
        var args = Arguments(temp.Path) with { MaxSteps = 3, NonFiniteLoss = NonFiniteLossPolicy.SkipStep };
        var (skipped, warnings) = Train(args, [3]);
        Assert.Contains("Warning: step 3: the loss is NaN", warnings);
        Assert.Contains("skipped", warnings);
        var (reference, _) = Train(args with { MaxSteps = 2 }, []);
        var expected = reference.Snapshot();
        foreach (var (name, values) in skipped.Snapshot()) Assert.Equal(expected[name], values);
    }

    [Fact]
    public void Stopping_keeps_the_last_good_checkpoint_and_names_it()
    {
        using var temp = new TempDirectory();
        var args = Arguments(temp.Path) with
        {
            NonFiniteLoss = NonFiniteLossPolicy.Stop, SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, SaveTotalLimit = 1,
        };
        NonFiniteLossException? error = null;
        var (model, warnings) = Train(args, [5], trainer =>
            error = Assert.Throws<NonFiniteLossException>(() => trainer.Train(SampleData.Make(80))));
        Assert.NotNull(error);
        Assert.Equal(5, error.Step);
        Assert.Equal(Checkpoint.PathFor(temp.Path, 4), error.LastCheckpoint);
        Assert.Contains("stopped at step 5", error.Message);
        Assert.Contains("checkpoint-4", error.Message);
        Assert.Equal([Checkpoint.PathFor(temp.Path, 4)], Checkpoint.Sorted(temp.Path));
        var saved = SafeTensors.Load(Path.Combine(Checkpoint.PathFor(temp.Path, 4), Checkpoint.ModelFile));
        Assert.All(saved.Values, t => Assert.True(t.isfinite().all().item<bool>()));
        foreach (var t in saved.Values) t.Dispose();
        Assert.All(model.Snapshot().Values, v => Assert.All(v, x => Assert.True(float.IsFinite(x))));
    }

    [Fact]
    public void The_policy_also_works_with_the_loss_kept_on_the_device()
    {
        using var temp = new TempDirectory();
        var args = Arguments(temp.Path) with { MaxSteps = 3, NonFiniteLoss = NonFiniteLossPolicy.SkipStep, KeepLossOnDevice = true };
        var (skipped, warnings) = Train(args, [3]);
        Assert.Contains("Warning: step 3: the loss is NaN", warnings);
        var (reference, _) = Train(args with { MaxSteps = 2 }, []);
        var expected = reference.Snapshot();
        foreach (var (name, values) in skipped.Snapshot()) Assert.Equal(expected[name], values);
    }
}
