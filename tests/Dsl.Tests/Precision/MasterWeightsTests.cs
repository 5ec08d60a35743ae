using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using Dsl.Precision;
using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Precision;

/// <summary>Bf16 and Fp16 on a plain module: low-precision working copies, float32 masters.</summary>
[Collection(TorchState.Name)]
public sealed class MasterWeightsTests
{
    // The final loss tolerance: the mean loss of the last epoch within 0.03 of float32's (the float32
    // run ends near 0.3; bf16 keeps 8 bits of mantissa, so its losses differ in the second decimal).
    private const double FinalLossTolerance = 0.03;

    private static TrainingArguments Arguments(string dir) => Args.Quiet(dir) with { NumTrainEpochs = 6, LoggingSteps = 1 };

    private static double LastEpochLoss(PrecisionTrainer trainer, int stepsPerEpoch) =>
        trainer.State.LogHistory.Where(e => e.ContainsKey("loss")).TakeLast(stepsPerEpoch).Average(e => e["loss"]);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_mlp_reaches_the_float32_final_loss(bool fp16)
    {
        using var temp = new TempDirectory();
        var data = SampleData.Make(200);
        var fp32 = new PrecisionTrainer(TinyNet.Create(seed: 2), Arguments(temp.Path));
        fp32.Train(data);

        var model = TinyNet.Create(seed: 2);
        var mixed = new PrecisionTrainer(model, Arguments(temp.Path) with { Bf16 = !fp16, Fp16 = fp16 });
        mixed.Train(data);

        Assert.Equal(fp16 ? ScalarType.Float16 : ScalarType.BFloat16, mixed.OutputDType);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));   // the masters are back
        double expected = LastEpochLoss(fp32, 25), actual = LastEpochLoss(mixed, 25);
        Assert.True(Math.Abs(actual - expected) <= FinalLossTolerance, $"float32 {expected:F4}, {(fp16 ? "fp16" : "bf16")} {actual:F4}");
        double first = mixed.State.LogHistory.Where(e => e.ContainsKey("loss")).Take(25).Average(e => e["loss"]);
        Assert.True(actual < first - 0.1, $"the mixed-precision run did not learn: first epoch {first:F4}, last {actual:F4}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_default_optimizer_with_its_decay_groups_steps_the_masters(bool fp16)
    {
        using var temp = new TempDirectory();
        var model = TinyNet.Create(seed: 2);
        var before = model.Snapshot();
        var trainer = new DefaultsTrainer(model, Args.Quiet(temp.Path) with { Bf16 = !fp16, Fp16 = fp16, LoggingSteps = 1, NumTrainEpochs = 2 });
        trainer.Train(SampleData.Make(64));
        var after = model.Snapshot();
        Assert.All(after, kv => Assert.NotEqual(before[kv.Key], kv.Value));   // every master moved, norms included
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    [Fact]
    public void Norm_layers_stay_float32_and_the_rest_computes_in_bf16()
    {
        var model = TinyNet.Create(seed: 3);
        var norm = model.named_parameters().Where(p => p.name.StartsWith("norm.")).Select(p => p.parameter).ToArray();
        using (var weights = MasterWeights.Install(model, ScalarType.BFloat16))
        {
            foreach (var (name, p) in model.named_parameters())
                Assert.Equal(name.StartsWith("norm.") ? ScalarType.Float32 : ScalarType.BFloat16, p.dtype);
            Assert.Same(norm[0], model.named_parameters().First(p => p.name == "norm.weight").parameter);
            Assert.Equal(ScalarType.BFloat16, MasterWeights.WorkingDType(model));
            using (weights.ShowMasters())
                Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
            using var x = torch.ones(2, 4, dtype: ScalarType.BFloat16);
            using var y = model.forward(x);
            Assert.Equal(ScalarType.BFloat16, y.dtype);
        }
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.Null(MasterWeights.WorkingDType(model));
    }

    [Fact]
    public void Gradients_accumulate_in_float32_on_the_masters()
    {
        var model = TinyNet.Create(seed: 3, dropoutRate: 0);
        var masters = model.parameters().ToArray();
        using var weights = MasterWeights.Install(model, ScalarType.BFloat16);
        using var x = torch.ones(2, 4, dtype: ScalarType.BFloat16);
        for (int i = 0; i < 2; i++)
        {
            model.forward(x).sum().backward();
            weights.AccumulateGradients();
        }
        Assert.All(model.parameters().Where(p => p.dtype == ScalarType.BFloat16), p => Assert.Null(p.grad));
        var fc1 = masters[0];
        Assert.Equal(ScalarType.Float32, fc1.grad!.dtype);
        Assert.True(fc1.grad.abs().sum().item<float>() > 0);
    }

    [Theory]
    [InlineData(false, -1, 1)]
    [InlineData(false, -1, 2)]   // gradients accumulated in float32 over two batches
    [InlineData(true, 2, 1)]     // with an overflow before the checkpoint: the backed-off scale must come back
    [InlineData(true, -1, 2)]
    public void Resuming_reproduces_the_rest_of_the_run_exactly(bool fp16, int poisoned, int ga)
    {
        using var temp = new TempDirectory();
        var data = SampleData.Make(100);
        var args = Args.Quiet(temp.Path) with
        {
            NumTrainEpochs = 2, Bf16 = !fp16, Fp16 = fp16, SaveStrategy = SaveStrategy.Steps, SaveSteps = 5, GradientAccumulationSteps = ga,
            WarmupSteps = 2, LoggingSteps = 1,
        };
        var fullModel = TinyNet.Create(seed: 4);
        var full = new PrecisionTrainer(fullModel, args) { PoisonedBatch = poisoned };
        full.Train(data);

        var resumedModel = TinyNet.Create(seed: 12);
        var resumed = new PrecisionTrainer(resumedModel, args);
        resumed.Train(data, resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, 5));

        Assert.Equal(full.Losses.Skip(5 * ga), resumed.Losses);   // step 5 is inside the first epoch (13 batches)
        Assert.Equal(fullModel.Snapshot(), resumedModel.Snapshot());
        Assert.Equal(full.State.LossScaler, resumed.State.LossScaler);
        if (poisoned >= 0) Assert.Equal(32768.0, resumed.State.LossScaler!.Scale);
    }

    [Fact]
    public void Checkpoints_hold_the_float32_masters()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { Bf16 = true, SaveStrategy = SaveStrategy.Steps, SaveSteps = 3, MaxSteps = 3 };
        var model = TinyNet.Create(seed: 8);
        new PrecisionTrainer(model, args).Train(SampleData.Make(64));

        string file = Path.Combine(Checkpoint.PathFor(temp.Path, 3), "model.safetensors");
        using var stream = File.OpenRead(file);
        var length = new byte[8];
        stream.ReadExactly(length);
        var header = new byte[BitConverter.ToInt64(length)];
        stream.ReadExactly(header);
        var json = JsonNode.Parse(header)!.AsObject();
        foreach (var (name, entry) in json)
            if (name != "__metadata__") Assert.Equal("F32", entry!["dtype"]!.GetValue<string>());

        var loaded = TinyNet.Create(seed: 9);
        Checkpoint.LoadModel(loaded, Checkpoint.PathFor(temp.Path, 3));
        Assert.Equal(model.Snapshot(), loaded.Snapshot());   // the masters, not bf16-rounded copies
    }

    [Fact]
    public void Evaluation_during_bf16_training_casts_the_batches()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { Bf16 = true, EvalStrategy = IntervalStrategy.Epoch, NumTrainEpochs = 2 };
        var trainer = new PrecisionTrainer(TinyNet.Create(seed: 8), args);
        trainer.Train(SampleData.Make(64), SampleData.Make(32, seed: 9));
        Assert.Equal(2, trainer.State.LogHistory.Count(e => e.ContainsKey("eval_loss")));
    }

    [Fact]
    public void Bf16_full_eval_evaluates_the_whole_model_in_bf16_and_gives_the_weights_back()
    {
        using var temp = new TempDirectory();
        var model = TinyNet.Create(seed: 8);
        var before = model.Snapshot();
        var eval = SampleData.Make(64, seed: 9);
        double fp32 = new PrecisionTrainer(model, Args.Quiet(temp.Path)).Evaluate(eval)["eval_loss"];
        double bf16 = new PrecisionTrainer(model, Args.Quiet(temp.Path) with { Bf16FullEval = true }).Evaluate(eval)["eval_loss"];
        Assert.NotEqual(fp32, bf16);
        Assert.InRange(bf16, fp32 - 0.02, fp32 + 0.02);
        Assert.Equal(before, model.Snapshot());
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    [Fact]
    public void Batches_get_their_floating_point_tensors_cast_and_keep_their_integers()
    {
        var batch = SampleBatch.Collate([new Sample([1, 2, 3, 4], 1)], torch.CPU);
        var cast = BatchCasting<SampleBatch>.Cast(batch, ScalarType.Float16);
        Assert.Equal(ScalarType.Float16, cast.X.dtype);
        Assert.Equal(ScalarType.Int64, cast.Y.dtype);
        cast.Dispose();
    }

    [Fact]
    public void A_missing_low_precision_kernel_is_named()
    {
        var kernels = new (string, Action<ScalarType, Device>)[]
        {
            ("matmul", (dt, d) => torch.ones(2, 2, dtype: dt, device: d).matmul(torch.ones(2, 2, dtype: dt, device: d))),
            ("imaginary_op", (_, _) => throw new NotImplementedException("\"imaginary_op\" not implemented for 'Half'")),
        };
        var e = Assert.Throws<NotSupportedException>(() => LowPrecisionKernels.Check(kernels, ScalarType.Float16, torch.CPU, "Fp16"));
        Assert.Contains("TrainingArguments.Fp16 needs libtorch's Float16 kernel for imaginary_op on CPU", e.Message);
        LowPrecisionKernels.Check(ScalarType.Float16, torch.CPU, "Fp16");   // libtorch 2.10's CPU build has them all
    }
}

/// <summary>Mixed precision keeps the loop's tensor discipline: flat live count, nothing left after Train.</summary>
[Collection(TorchState.Name)]
public sealed class MixedPrecisionLifetimeTests
{
    public MixedPrecisionLifetimeTests()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Live_tensors_stay_flat_and_nothing_is_left_after_training(bool fp16)
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            MaxSteps = 120, PerDeviceTrainBatchSize = 4, LoggingSteps = 25, GradientAccumulationSteps = 2,
            DataloaderPrefetchFactor = 0, Bf16 = !fp16, Fp16 = fp16,
        };
        var trainer = new HookTrainer(TinyNet.Create(), args);
        using var own = OwnTensors.Start();
        trainer.Train(SampleData.Make(64));
        Assert.Equal(trainer.LiveTensorsAtStepEnd[9], trainer.LiveTensorsAtStepEnd[119]);
        Assert.Equal(trainer.LiveTensorsAtStepEnd[9], trainer.LiveTensorsAtStepEnd.Skip(9).Max());
        // Nothing is left. (The process-wide torch.Tensor.TotalCount stays 4 higher: Parameter(Tensor) moves the
        // native handle out of the tensor each working copy is built from without lowering that count; the
        // per-thread counts OwnTensors reads do not have that quirk.)
        Assert.True(own.Live == 0, $"{own.Live} tensors left ({own.ByThread()})");
    }
}
