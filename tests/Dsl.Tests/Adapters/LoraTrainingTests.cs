using Dsl.Adapters;
using Dsl.Checkpoints;
using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Adapters;

/// <summary>A LoRA model trained by a [Trainer]: the defaults, checkpoints of the adapter only, exact resume, the best model.</summary>
[Collection(TorchState.Name)]
public sealed class LoraTrainingTests
{
    private static readonly LoraConfig Config = new() { R = 4, LoraAlpha = 8, LoraDropout = 0.1, TargetModules = ["fc1", "fc2"], TaskType = PeftTaskType.SeqCls };

    private static (LoraNet Model, LoraModel Lora) Adapted(int seed = 4, LoraConfig? config = null)
    {
        var model = LoraNet.Create(seed);
        return (model, LoraModel.Apply(model, config ?? Config));
    }

    [Fact]
    public void Training_changes_the_adapters_and_the_head_and_leaves_the_base_weights_as_they_were()
    {
        using var temp = new TempDirectory();
        var (model, lora) = Adapted();
        var before = model.Snapshot();
        new LoraTrainer(model, Args.Quiet(temp.Path) with { NumTrainEpochs = 2, GradientAccumulationSteps = 2, MaxGradNorm = 0.5 })
            .Train(SampleData.Make(64));
        var after = model.Snapshot();
        foreach (var (name, values) in after)
        {
            bool trains = name.Contains("lora_", StringComparison.Ordinal) || name.StartsWith("classifier", StringComparison.Ordinal);
            Assert.True(trains != before[name].SequenceEqual(values), $"{name}: trains {trains} but changed {!before[name].SequenceEqual(values)}");
        }
        Assert.Equal(lora.Layers.Count, lora.Layers.Count(l => l.Calls > 0));
    }

    [Fact]
    public void The_default_optimizer_holds_only_what_trains()
    {
        var (model, lora) = Adapted();
        var optimizer = Optimizers.FromArguments(model, new TrainingArguments { WeightDecay = 0.01 });
        var held = optimizer.ParamGroups.SelectMany(g => ((TorchSharp.Modules.ParamGroup)g).Parameters).ToList();
        Assert.Equal(lora.TrainableParameters().Count, held.Count);
        Assert.All(held, p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void An_optimizer_given_the_frozen_weights_too_is_warned_about()
    {
        using var temp = new TempDirectory();
        var (model, _) = Adapted();
        string errors = ConsoleCapture.Errors(() =>
            new AllParametersTrainer(model, Args.Quiet(temp.Path) with { ReportTo = ["jsonl"], MaxSteps = 2 }).Train(SampleData.Make(32)));
        Assert.Contains("The optimizer holds 384 frozen weights of the LoRA model", errors);   // fc1 80, fc2 272, norm 32 (the classifier trains)
        Assert.Contains("model.parameters().Where(p => p.requires_grad)", errors);
    }

    [Fact]
    public void A_model_that_calls_forward_is_stopped_after_its_first_step_with_what_to_change()
    {
        using var temp = new TempDirectory();
        var model = new LoraNet { CallsForward = true };
        LoraModel.Apply(model, Config);
        var error = Assert.Throws<InvalidOperationException>(() => new LoraTrainer(model, Args.Quiet(temp.Path)).Train(SampleData.Make(32)));
        Assert.Contains("No LoRA layer of LoraNet was used in the first training step (fc1, fc2)", error.Message);
        Assert.Contains("call the layer with call(x)", error.Message);
    }

    [Fact]
    public void A_frozen_adapter_loaded_to_predict_cannot_be_trained_and_says_how_to()
    {
        using var temp = new TempDirectory();
        var (_, lora) = Adapted();
        lora.SaveAdapter(temp["adapter"]);
        var model = LoraNet.Create(4);
        LoraModel.Load(model, temp["adapter"]);
        var error = Assert.Throws<InvalidOperationException>(() => new LoraTrainer(model, Args.Quiet(temp.Path)).Train(SampleData.Make(16)));
        Assert.Contains("Load it with isTrainable: true", error.Message);
        var trainable = LoraNet.Create(4);
        LoraModel.Load(trainable, temp["adapter"], isTrainable: true);
        Assert.Equal(2, new LoraTrainer(trainable, Args.Quiet(temp.Path)).Train(SampleData.Make(16)).GlobalStep);
    }

    [Fact]
    public void A_checkpoint_holds_the_adapter_and_no_whole_model()
    {
        using var temp = new TempDirectory();
        var (model, _) = Adapted();
        new LoraTrainer(model, Args.Quiet(temp.Path) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 4, MaxSteps = 4 }).Train(SampleData.Make(64));
        string dir = Checkpoint.PathFor(temp.Path, 4);
        Assert.Equal(
            ["adapter_config.json", "adapter_model.safetensors", "checksums.sha256", "dsl_run.json", "optimizer.bin", "rng_state.bin", "scheduler.json", "trainer_state.json", "training_args.json"],
            Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var (tensors, _, _) = SafeTensors.ReadHeader(Path.Combine(dir, LoraModel.WeightsFile));
        Assert.Equal(6, tensors.Count);   // two layers' A and B, the classifier's weight and bias
        Checkpoint.VerifyChecksums(dir);
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 3)]
    public void Resuming_an_adapter_checkpoint_reproduces_the_uninterrupted_run_exactly(int ga, int k)
    {
        using var temp = new TempDirectory();
        var data = SampleData.Make(80);
        var args = Args.Quiet(temp.Path) with
        {
            NumTrainEpochs = 2, GradientAccumulationSteps = ga, SaveStrategy = SaveStrategy.Steps, SaveSteps = k, LoggingSteps = 1, WarmupSteps = 1,
        };
        var (fullModel, _) = Adapted();
        var full = new LoraTrainer(fullModel, args);
        full.Train(data);

        // The same base, a fresh adapter (other random A): the checkpoint must overwrite it, and the RNG must continue the dropouts.
        torch.manual_seed(99);
        var resumedModel = LoraNet.Create(4);
        torch.manual_seed(123);
        LoraModel.Apply(resumedModel, Config);
        var resumed = new LoraTrainer(resumedModel, args);
        resumed.Train(data, resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, k));

        Assert.Equal(full.Losses.Skip(full.Losses.Count - resumed.Losses.Count), resumed.Losses);
        var expected = fullModel.Snapshot();
        foreach (var (name, values) in resumedModel.Snapshot()) Assert.Equal(expected[name], values);
    }

    [Fact]
    public void Resuming_onto_another_base_model_is_refused_before_training()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, MaxSteps = 2 };
        new LoraTrainer(Adapted(seed: 4).Model, args).Train(SampleData.Make(32));
        var (other, _) = Adapted(seed: 5);
        var error = Assert.Throws<InvalidDataException>(() => new LoraTrainer(other, args with { MaxSteps = 4 }).Train(SampleData.Make(32), resumeFromCheckpoint: "last"));
        Assert.Contains("was trained on another base model", error.Message);
    }

    [Fact]
    public void The_best_adapter_is_loaded_at_the_end_and_the_only_checkpoint_left_with_a_limit_of_one()
    {
        using var temp = new TempDirectory();
        var (model, lora) = Adapted();
        var args = Args.Quiet(temp.Path) with
        {
            NumTrainEpochs = 4, EvalStrategy = IntervalStrategy.Epoch, SaveStrategy = SaveStrategy.Epoch, SaveTotalLimit = 1,
            LoadBestModelAtEnd = true, MetricForBestModel = "loss", LearningRate = 0.05,
        };
        var trainer = new LoraTrainer(model, args);
        trainer.Train(SampleData.Make(48), SampleData.Make(24, seed: 9));

        string best = trainer.State.BestModelCheckpoint!;
        Assert.Equal([best], Checkpoint.Sorted(temp.Path));
        using var saved = new TempDirectory();
        lora.SaveAdapter(saved.Path);
        var live = SafeTensors.Load(Path.Combine(saved.Path, LoraModel.WeightsFile));
        var inBest = SafeTensors.Load(Path.Combine(best, LoraModel.WeightsFile));
        foreach (var (key, tensor) in inBest) Assert.True(tensor.eq(live[key]).all().item<bool>(), key);
    }

    [Fact]
    public void Bf16_trains_the_adapter_on_float32_masters()
    {
        using var temp = new TempDirectory();
        var (model, lora) = Adapted(config: Config with { LoraDropout = 0 });
        var before = model.Snapshot();
        var trainer = new LoraTrainer(model, Args.Quiet(temp.Path) with { Bf16 = true, NumTrainEpochs = 3, LoggingSteps = 4, LearningRate = 0.05 });
        trainer.Train(SampleData.Make(64));
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.Equal(before["fc1.weight"], model.Snapshot()["fc1.weight"]);
        Assert.NotEqual(before["fc1.lora_B.weight"], model.Snapshot()["fc1.lora_B.weight"]);
        var losses = trainer.State.LogHistory.Where(e => e.ContainsKey("loss")).Select(e => e["loss"]).ToList();
        Assert.True(losses[^1] < losses[0], $"loss did not fall: {string.Join(", ", losses)}");
        Assert.All(lora.Layers, l => Assert.True(l.Calls > 0));
    }

    [Fact]
    public void A_streamed_dataset_trains_the_adapter()
    {
        using var temp = new TempDirectory();
        var (model, _) = Adapted();
        var before = model.Snapshot();
        var output = new LoraTrainer(model, Args.Quiet(temp.Path) with { MaxSteps = 5 }).Train(SampleData.Make(64).Select(s => s));
        Assert.Equal(5, output.GlobalStep);
        Assert.NotEqual(before["fc2.lora_B.weight"], model.Snapshot()["fc2.lora_B.weight"]);
        Assert.Equal(before["fc2.weight"], model.Snapshot()["fc2.weight"]);
    }
}
