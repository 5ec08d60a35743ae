using Dsl.Checkpoints;
using Dsl.__Internals;
using Dsl.Precision;
using Dsl.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Tests.Precision;

/// <summary>Dynamic loss scaling with PyTorch GradScaler's rules, alone and in the loop.</summary>
[Collection(TorchState.Name)]
public sealed class LossScalerTests
{
    [Fact]
    public void The_scale_starts_at_two_to_the_sixteen_and_multiplies_the_loss()
    {
        using var scaler = new LossScaler(torch.CPU);
        Assert.Equal(65536.0, scaler.Scale);
        using var loss = torch.tensor(0.5f);
        using var scaled = scaler.ScaleLoss(loss);
        Assert.Equal(32768f, scaled.item<float>());
    }

    [Fact]
    public void An_overflow_halves_the_scale_and_restarts_the_count()
    {
        using var scaler = new LossScaler(torch.CPU, growthInterval: 4);
        scaler.Update(foundInf: false);
        scaler.Update(foundInf: false);
        Assert.Equal(2, scaler.GrowthTracker);
        scaler.Update(foundInf: true);
        Assert.Equal(32768.0, scaler.Scale);
        Assert.Equal(0, scaler.GrowthTracker);
        Assert.Equal(1, scaler.SkippedSteps);
    }

    [Fact]
    public void The_scale_doubles_after_the_growth_interval_without_overflow()
    {
        using var scaler = new LossScaler(torch.CPU, initialScale: 8, growthInterval: 3);
        scaler.Update(false);
        scaler.Update(false);
        Assert.Equal(8.0, scaler.Scale);
        scaler.Update(false);
        Assert.Equal(16.0, scaler.Scale);
        Assert.Equal(0, scaler.GrowthTracker);
        using var loss = torch.tensor(1f);
        using var scaled = scaler.ScaleLoss(loss);
        Assert.Equal(16f, scaled.item<float>());   // the device copy follows the host value
    }

    [Fact]
    public void Unscaling_divides_the_gradients_exactly()
    {
        using var scaler = new LossScaler(torch.CPU);
        using var p = new Parameter(torch.zeros(3));
        p.grad = torch.tensor(new[] { 65536f, -131072f, 3f * 65536f });
        scaler.Unscale([p]);
        Assert.Equal(new[] { 1f, -2f, 3f }, p.grad!.data<float>().ToArray());
    }

    [Fact]
    public void The_state_round_trips_through_trainer_state_json()
    {
        using var temp = new TempDirectory();
        using var scaler = new LossScaler(torch.CPU, growthInterval: 10);
        scaler.Update(true);
        scaler.Update(false);
        scaler.Update(false);
        var state = new TrainerState { GlobalStep = 3, LossScaler = scaler.State };
        string path = Path.Combine(temp.Path, Checkpoint.StateFile);
        File.WriteAllText(path, state.ToJsonString());
        Assert.Contains("\"loss_scaler\": {", File.ReadAllText(path));

        using var restored = new LossScaler(torch.CPU, growthInterval: 10);
        restored.Load(TrainerState.Load(path).LossScaler!);
        Assert.Equal(32768.0, restored.Scale);
        Assert.Equal(2, restored.GrowthTracker);
        Assert.Equal(1, restored.SkippedSteps);
        Assert.DoesNotContain("loss_scaler", new TrainerState().ToJsonString());   // float32 states keep HF's keys alone
    }

    [Fact]
    public void A_bad_saved_state_is_refused_with_its_key()
    {
        using var temp = new TempDirectory();
        string path = Path.Combine(temp.Path, Checkpoint.StateFile);
        File.WriteAllText(path, "{\"global_step\": 1, \"loss_scaler\": {\"scale\": \"big\"}}");
        var e = Assert.Throws<InvalidDataException>(() => TrainerState.Load(path));
        Assert.Contains("'loss_scaler'", e.Message);
        using var scaler = new LossScaler(torch.CPU);
        Assert.Throws<ArgumentOutOfRangeException>(() => scaler.Load(new LossScalerState(double.PositiveInfinity, 0)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]   // the accelerator path: the norm stays a tensor, read once for the overflow check
    public void An_overflowing_step_skips_the_optimizer_and_the_schedule_and_backs_off(bool onDevice)
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            Fp16 = true, SaveStrategy = SaveStrategy.Steps, SaveSteps = 1, LoggingSteps = 1, MaxSteps = 6,
            KeepLossOnDevice = onDevice,
        };
        var model = TinyNet.Create(seed: 5);
        var trainer = new PrecisionTrainer(model, args) { PoisonedBatch = 3 };   // step 4's gradients are Inf/NaN
        trainer.Train(SampleData.Make(64));

        double[] scales = new double[7];
        int[] trackers = new int[7];
        for (int step = 1; step <= 6; step++)
        {
            var saved = TrainerState.Load(Path.Combine(Checkpoint.PathFor(temp.Path, step), Checkpoint.StateFile)).LossScaler!;
            (scales[step], trackers[step]) = (saved.Scale, saved.GrowthTracker);
        }
        Assert.Equal(new double[] { 0, 65536, 65536, 65536, 32768, 32768, 32768 }, scales);
        Assert.Equal(new[] { 0, 1, 2, 3, 0, 1, 2 }, trackers);

        // The skipped step changed no weight, and the schedule did not move: steps 4 and 5 use one rate.
        Assert.Equal(Weights(temp.Path, 3), Weights(temp.Path, 4));
        Assert.NotEqual(Weights(temp.Path, 4), Weights(temp.Path, 5));
        var rates = trainer.State.LogHistory.Where(e => e.ContainsKey("learning_rate")).ToDictionary(e => e.Step, e => e["learning_rate"]);
        Assert.Equal(rates[4], rates[5]);
        Assert.True(rates[3] > rates[4]);
        Assert.Equal(6, trainer.State.GlobalStep);   // HF: a skipped step still counts
        var norms = trainer.State.LogHistory.Where(e => e.ContainsKey("grad_norm")).ToDictionary(e => e.Step, e => e["grad_norm"]);
        Assert.False(double.IsFinite(norms[4]));     // logged as HF logs it (NaN or Infinity), and read back from trainer_state.json
        Assert.True(double.IsFinite(norms[5]));
        var last = TrainerState.Load(Path.Combine(Checkpoint.PathFor(temp.Path, 6), Checkpoint.StateFile));
        Assert.False(double.IsFinite(last.LogHistory.Single(e => e.Step == 4 && e.ContainsKey("grad_norm"))["grad_norm"]));
        Assert.All(model.parameters(), p => Assert.True(p.isfinite().all().item<bool>()));
    }

    [Fact]
    public void The_logged_grad_norm_is_the_unscaled_norm()
    {
        using var temp = new TempDirectory();
        var baseArgs = Args.Quiet(temp.Path) with { LoggingSteps = 1, MaxSteps = 3, MaxGradNorm = 1e6 };
        var fp32 = new PrecisionTrainer(TinyNet.Create(seed: 6), baseArgs);
        fp32.Train(SampleData.Make(64));
        var fp16 = new PrecisionTrainer(TinyNet.Create(seed: 6), baseArgs with { Fp16 = true });
        fp16.Train(SampleData.Make(64));
        double Norm(PrecisionTrainer t) => t.State.LogHistory.First(e => e.ContainsKey("grad_norm"))["grad_norm"];
        // Scaled by 2^16 the norm would be ~65536× larger; unscaled it matches float32's to fp16 accuracy.
        Assert.InRange(Norm(fp16) / Norm(fp32), 0.98, 1.02);
    }

    private static float[] Weights(string outputDir, int step)
    {
        var net = TinyNet.Create(seed: 99);
        Checkpoint.LoadModel(net, Checkpoint.PathFor(outputDir, step));
        return net.Snapshot().OrderBy(kv => kv.Key).SelectMany(kv => kv.Value).ToArray();
    }
}
