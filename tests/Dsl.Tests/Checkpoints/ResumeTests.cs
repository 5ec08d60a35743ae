using Dsl.Checkpoints;
using Dsl.Tests.Support;

namespace Dsl.Tests.Checkpoints;

/// <summary>Resuming restores model, optimizer, schedule, RNG and data order exactly.</summary>
[Collection(TorchState.Name)]
public sealed class ResumeTests
{
    [Theory]
    [InlineData(1, 7)]    // mid-epoch (13 steps an epoch)
    [InlineData(1, 13)]   // at an epoch boundary
    [InlineData(3, 6)]    // with gradient accumulation, mid-epoch
    public void Resuming_from_checkpoint_k_reproduces_the_rest_of_the_run_exactly(int ga, int k)
    {
        using var temp = new TempDirectory();
        var data = SampleData.Make(100);
        var args = Args.Quiet(temp.Path) with
        {
            NumTrainEpochs = 3, GradientAccumulationSteps = ga, SaveStrategy = SaveStrategy.Steps, SaveSteps = k,
            WarmupSteps = 2, LoggingSteps = 1,
        };

        var fullModel = TinyNet.Create(seed: 4);
        var full = new ParityTrainer(fullModel, args);
        full.Train(data);

        var resumedModel = TinyNet.Create(seed: 11);   // different weights: the checkpoint must overwrite them
        var resumed = new ParityTrainer(resumedModel, args);
        resumed.Train(data, resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, k));

        // HF skips whole epochs, then (k mod updates per epoch) × GA batches of the current epoch.
        int batches = 13, updates = (batches + ga - 1) / ga;
        int skipped = k / updates * batches + k % updates * ga;
        Assert.Equal(full.Losses.Count - skipped, resumed.Losses.Count);
        Assert.Equal(full.Losses.Skip(skipped), resumed.Losses);
        Assert.Equal(full.State.GlobalStep, resumed.State.GlobalStep);
        var expected = fullModel.Snapshot();
        foreach (var (name, values) in resumedModel.Snapshot()) Assert.Equal(expected[name], values);

        // The log history continues the checkpoint's: the same losses and rates at the same steps.
        var fullLogs = full.State.LogHistory.Where(e => e.ContainsKey("loss") && e.Step > k).Select(e => (e.Step, e["loss"], e["learning_rate"]));
        var resumedLogs = resumed.State.LogHistory.Where(e => e.ContainsKey("loss") && e.Step > k).Select(e => (e.Step, e["loss"], e["learning_rate"]));
        Assert.Equal(fullLogs, resumedLogs);
        Assert.Equal(k, resumed.State.LogHistory.Count(e => e.ContainsKey("loss") && e.Step <= k));
    }

    [Fact]
    public void Resume_last_picks_the_newest_checkpoint()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 3, MaxSteps = 7 };
        new ParityTrainer(TinyNet.Create(), args).Train(SampleData.Make(64));
        var resumed = new ParityTrainer(TinyNet.Create(), args with { MaxSteps = 8 });
        resumed.Train(SampleData.Make(64), resumeFromCheckpoint: "last");
        Assert.Single(resumed.Losses);   // checkpoint-7 was the last (saved at the end), one step to go
        Assert.Equal(8, resumed.State.GlobalStep);
    }

    [Fact]
    public void Resuming_from_a_missing_or_foreign_folder_says_what_is_wrong()
    {
        using var temp = new TempDirectory();
        var trainer = new ParityTrainer(TinyNet.Create(), Args.Quiet(temp.Path));
        var missing = Assert.Throws<DirectoryNotFoundException>(() => trainer.Train(SampleData.Make(16), resumeFromCheckpoint: temp["nowhere"]));
        Assert.Contains("nowhere does not exist", missing.Message);
        Directory.CreateDirectory(temp["empty"]);
        var empty = Assert.Throws<FileNotFoundException>(() => trainer.Train(SampleData.Make(16), resumeFromCheckpoint: temp["empty"]));
        Assert.Contains("is not a checkpoint: it has no trainer_state.json", empty.Message);
        var none = Assert.Throws<DirectoryNotFoundException>(() => trainer.Train(SampleData.Make(16), resumeFromCheckpoint: "last"));
        Assert.Contains("holds no checkpoint-N folder", none.Message);
    }

    [Fact]
    public void A_checkpoint_holds_HFs_files_and_a_sorted_indented_trainer_state()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 4, MaxSteps = 4, LoggingSteps = 2 };
        new ParityTrainer(TinyNet.Create(), args).Train(SampleData.Make(64));

        string dir = Checkpoint.PathFor(temp.Path, 4);
        Assert.Equal(
            ["checksums.sha256", "config.json", "model.safetensors", "optimizer.bin", "rng_state.bin", "scheduler.json", "trainer_state.json", "training_args.json"],
            Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        string json = File.ReadAllText(Path.Combine(dir, Checkpoint.StateFile));
        Assert.StartsWith("{\n  \"best_global_step\": null,\n  \"best_metric\": null,\n  \"best_model_checkpoint\": null,\n  \"epoch\": 0.5,\n", json);
        Assert.Contains("\"log_history\": [\n    {\n      \"epoch\": 0.25,\n      \"grad_norm\": ", json);
        Assert.Contains("\"learning_rate\": 0.0075,\n      \"loss\": ", json);   // linear over 4 steps: step 2 used 0.01 × 3/4
        Assert.EndsWith("\"train_batch_size\": 8,\n  \"trial_name\": null,\n  \"trial_params\": null\n}\n", json);

        var state = TrainerState.Load(Path.Combine(dir, Checkpoint.StateFile));
        Assert.Equal(4, state.GlobalStep);
        Assert.Equal(2, state.LogHistory.Count);
    }
}
