using Dsl.Checkpoints;
using Dsl.Tests.Support;

namespace Dsl.Tests.Checkpoints;

/// <summary>SaveTotalLimit rotation (HF's _sorted_checkpoints / _rotate_checkpoints), which never deletes the best checkpoint.</summary>
[Collection(TorchState.Name)]
public sealed class RotationTests
{
    private static string[] Remaining(string dir) =>
        Directory.GetDirectories(dir, "checkpoint-*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void SaveTotalLimit_keeps_the_newest_checkpoints()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, SaveTotalLimit = 2, MaxSteps = 10 };
        new ParityTrainer(TinyNet.Create(), args).Train(SampleData.Make(40));
        Assert.Equal(["checkpoint-10", "checkpoint-8"], Remaining(temp.Path));
        Assert.False(Directory.Exists(temp["tmp-checkpoint-10"]));
    }

    [Fact]
    public void SaveTotalLimit_never_deletes_the_best_checkpoint()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, SaveTotalLimit = 2, MaxSteps = 10,
            EvalStrategy = IntervalStrategy.Steps, EvalSteps = 2, LoadBestModelAtEnd = true,
        };
        var trainer = new ScriptedEvalTrainer(TinyNet.Create(), args);
        trainer.EvalLossAtStep[2] = 0.9f;
        trainer.EvalLossAtStep[4] = 0.1f;   // the best
        trainer.EvalLossAtStep[6] = 0.5f;
        trainer.EvalLossAtStep[8] = 0.6f;
        trainer.EvalLossAtStep[10] = 0.7f;
        trainer.Train(SampleData.Make(40), SampleData.Make(8));

        Assert.Equal(["checkpoint-10", "checkpoint-4"], Remaining(temp.Path));
        Assert.Equal(Checkpoint.PathFor(temp.Path, 4), trainer.State.BestModelCheckpoint);
        Assert.Equal(0.1, trainer.State.BestMetric!.Value, 6);
        Assert.Equal(4, trainer.State.BestGlobalStep);
    }

    [Fact]
    public void Loading_the_best_model_at_the_end_restores_its_weights()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, MaxSteps = 6,
            EvalStrategy = IntervalStrategy.Steps, EvalSteps = 2, LoadBestModelAtEnd = true,
        };
        var model = TinyNet.Create();
        var trainer = new ScriptedEvalTrainer(model, args);
        trainer.EvalLossAtStep[2] = 0.2f;   // the best is the first
        trainer.Train(SampleData.Make(40), SampleData.Make(8));

        var best = TinyNet.Create(seed: 99);
        Checkpoint.LoadModel(best, Checkpoint.PathFor(temp.Path, 2));
        Assert.Equal(best.Snapshot()["fc1.weight"], model.Snapshot()["fc1.weight"]);
    }

    [Theory]
    [InlineData(new[] { 1, 2, 3, 4, 5 }, null, 2, new[] { 4, 5 })]
    [InlineData(new[] { 1, 2, 3, 4, 5 }, 2, 2, new[] { 2, 5 })]
    [InlineData(new[] { 1, 2, 3, 4, 5 }, 2, 1, new[] { 2, 5 })]   // HF keeps 2 when the best is not the newest
    [InlineData(new[] { 1, 2, 3, 4, 5 }, 5, 1, new[] { 5 })]
    [InlineData(new[] { 10, 2, 100 }, null, 2, new[] { 10, 100 })] // by step number, not by name
    [InlineData(new[] { 1, 2, 3 }, null, 0, new[] { 1, 2, 3 })]    // 0 or null: keep all
    public void Rotation_follows_HFs_rule(int[] steps, int? best, int limit, int[] kept)
    {
        using var temp = new TempDirectory();
        foreach (int step in steps) Directory.CreateDirectory(Checkpoint.PathFor(temp.Path, step));
        Directory.CreateDirectory(temp["checkpoint-notanumber"]);
        Checkpoint.Rotate(temp.Path, limit, best is null ? null : Checkpoint.PathFor(temp.Path, best.Value));
        var expected = kept.Select(s => $"checkpoint-{s}").Append("checkpoint-notanumber").Order(StringComparer.Ordinal);
        Assert.Equal(expected, Remaining(temp.Path));
    }

    [Fact]
    public void Last_checkpoint_is_the_highest_complete_one()
    {
        using var temp = new TempDirectory();
        foreach (int step in new[] { 5, 20, 100 }) Directory.CreateDirectory(Checkpoint.PathFor(temp.Path, step));
        File.WriteAllText(Path.Combine(Checkpoint.PathFor(temp.Path, 5), Checkpoint.StateFile), "{}");
        File.WriteAllText(Path.Combine(Checkpoint.PathFor(temp.Path, 20), Checkpoint.StateFile), "{}");
        Assert.Equal(Checkpoint.PathFor(temp.Path, 20), Checkpoint.Last(temp.Path));
    }
}
