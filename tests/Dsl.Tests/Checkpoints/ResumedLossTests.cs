using Dsl.Checkpoints;
using Dsl.Tests.Support;

namespace Dsl.Tests.Checkpoints;

/// <summary>
/// The logged loss and <c>train_loss</c> of a resumed run (docs/trainer.md, "The loss after a resume"). HF's
/// <c>_inner_training_loop</c> sets <c>_globalstep_last_logged = state.global_step</c> after loading the checkpoint's
/// state, so the first log averages only the steps since the resume: so do we. HF's <c>train_loss</c> is
/// <c>_total_loss_scalar / max(state.global_step, 0.001)</c>, where the total holds only this run's losses but the
/// global step counts the checkpoint's steps too; we divide by the steps this run trained.
/// </summary>
[Collection(TorchState.Name)]
public sealed class ResumedLossTests
{
    [Fact]
    public void The_first_log_after_a_resume_averages_only_the_steps_since_it_as_HF_does()
    {
        using var temp = new TempDirectory();
        var data = SampleData.Make(80);
        var args = Args.Quiet(temp.Path) with { MaxSteps = 10, LoggingSteps = 3, SaveStrategy = SaveStrategy.Steps, SaveSteps = 4 };
        var full = new ParityTrainer(TinyNet.Create(seed: 2), args);
        full.Train(data);
        var resumed = new ParityTrainer(TinyNet.Create(seed: 9), args);
        resumed.Train(data, resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, 4));

        // The uninterrupted run logged at 3 (steps 1-3) and 6 (steps 4-6); resumed at 4, the first log is at 6 and
        // covers steps 5 and 6 only: HF's rule, the mean of full.Losses over those two steps.
        var log6 = resumed.State.LogHistory.Single(e => e.Step == 6 && e.ContainsKey("loss"));
        double expected = (full.Losses[4] + full.Losses[5]) / 2;
        Assert.Equal(Math.Round(expected, 4), log6["loss"], 4);
        Assert.NotEqual(full.State.LogHistory.Single(e => e.Step == 6 && e.ContainsKey("loss"))["loss"], log6["loss"]);
    }

    [Fact]
    public void Train_loss_after_a_resume_is_the_mean_of_the_steps_this_run_trained_not_HFs_sum_over_every_step()
    {
        using var temp = new TempDirectory();
        var data = SampleData.Make(80);
        var args = Args.Quiet(temp.Path) with { MaxSteps = 10, LoggingSteps = 5, SaveStrategy = SaveStrategy.Steps, SaveSteps = 4 };
        var full = new ParityTrainer(TinyNet.Create(seed: 2), args);
        var uninterrupted = full.Train(data);
        Assert.Equal(full.Losses.Average(), uninterrupted.TrainingLoss, 5);

        var resumed = new ParityTrainer(TinyNet.Create(seed: 9), args);
        var output = resumed.Train(data, resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, 4));
        double ours = full.Losses.Skip(4).Average();                // steps 5-10
        double hfWouldSay = full.Losses.Skip(4).Sum() / 10;         // HF: this run's total / global_step
        Assert.Equal(ours, output.TrainingLoss, 5);
        Assert.NotEqual(Math.Round(hfWouldSay, 5), Math.Round(output.TrainingLoss, 5));
    }
}
