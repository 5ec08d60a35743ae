using Dsl.Adapters;
using Dsl.Checkpoints;
using Dsl.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Tests.Adapters;

/// <summary>Applying, computing, saving, loading and merging a LoRA adapter on a small net.</summary>
[Collection(TorchState.Name)]
public sealed class LoraModelTests
{
    private static readonly LoraConfig QueryLike = new() { R = 4, LoraAlpha = 8, TargetModules = ["fc1", "fc2"], TaskType = PeftTaskType.SeqCls };

    private static Tensor Input(int seed = 3)
    {
        torch.manual_seed(seed);
        return torch.randn(5, 4);
    }

    private static float[] Output(LoraNet model, Tensor x)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        using var y = model.forward(x);
        return y.data<float>().ToArray();
    }

    private static Linear Layer(LoraNet model, string name) => (Linear)model.named_modules().Single(m => m.name == name).module;

    [Fact]
    public void A_new_adapter_leaves_the_output_as_the_base_computed_it()
    {
        var model = LoraNet.Create();
        using var x = Input();
        var before = Output(model, x);
        var lora = LoraModel.Apply(model, QueryLike);
        Assert.Equal(before, Output(model, x));
        Assert.All(lora.Layers, l => Assert.Equal(0f, l.LoraB.weight.abs().max().item<float>()));
        // A as nn.Linear initialises it (Kaiming-uniform, a = √5): within ±1/√in, not zero.
        var a = lora.Layers[1].LoraA.weight;
        Assert.Equal([4L, 16L], a.shape);
        Assert.True(a.abs().max().item<float>() <= 1 / Math.Sqrt(16) + 1e-6);
        Assert.True(a.abs().max().item<float>() > 0.05);
    }

    [Fact]
    public void The_update_is_scaling_times_B_A_x_on_top_of_the_base_layer()
    {
        var model = LoraNet.Create(dropoutRate: 0);
        using var x = Input();
        var lora = LoraModel.Apply(model, QueryLike with { TargetModules = ["fc1"], UseRslora = true });
        var layer = lora.Layers.Single();
        using (torch.no_grad()) nn.init.normal_(layer.LoraB.weight);
        Assert.Equal(8 / Math.Sqrt(4), layer.Scaling);

        using var expected = nn.functional.linear(x, layer.BaseLayer.weight, layer.BaseLayer.bias)
            + nn.functional.linear(nn.functional.linear(x, layer.LoraA.weight), layer.LoraB.weight) * layer.Scaling;
        using var actual = layer.BaseLayer.call(x);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-6));
        using var plain = layer.BaseLayer.forward(x);   // forward skips hooks: the base alone
        Assert.False(plain.allclose(expected, rtol: 1e-5, atol: 1e-6));
        using var delta = layer.Delta(x);
        Assert.True((plain + delta).allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Dropout_applies_to_the_updates_input_only_while_training()
    {
        var model = LoraNet.Create();
        var lora = LoraModel.Apply(model, QueryLike with { TargetModules = ["fc2"], LoraDropout = 0.5 });
        var layer = lora.Layers.Single();
        using (torch.no_grad()) nn.init.normal_(layer.LoraB.weight);
        using var x = torch.ones(64, 16);
        model.train();
        using var first = layer.Delta(x);
        using var second = layer.Delta(x);
        Assert.False(first.eq(second).all().item<bool>());   // different masks
        model.eval();
        using var third = layer.Delta(x);
        using var fourth = layer.Delta(x);
        Assert.True(third.eq(fourth).all().item<bool>());
    }

    [Fact]
    public void Only_the_adapters_the_modules_to_save_and_the_chosen_biases_train()
    {
        var model = LoraNet.Create();
        var lora = LoraModel.Apply(model, QueryLike);
        Assert.Equal(
            ["fc1.lora_A.weight", "fc1.lora_B.weight", "fc2.lora_A.weight", "fc2.lora_B.weight", "classifier.weight", "classifier.bias"],
            model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).Order(Comparer<string>.Create(Rank)));
        Assert.Equal(lora.TrainableParameters().Sum(p => p.numel()), lora.CountParameters().Trainable);
        // fc1: A [4, 4] and B [16, 4]; fc2: A [4, 16] and B [16, 4]; the classifier in full, 16 × 2 + 2.
        Assert.Equal((16 + 64) + (64 + 64) + 34, lora.CountParameters().Trainable);
        // All: the base's 80 + 272 + 32 + 34 and the adapters' 208.
        Assert.Equal("trainable params: 242 || all params: 626 || trainable%: 38.6581", lora.TrainableParametersSummary());

        var all = LoraModel.Apply(LoraNet.Create(), QueryLike with { Bias = LoraBias.All, TaskType = null });
        Assert.Equal(["fc1.bias", "fc2.bias", "norm.bias", "classifier.bias"],
            all.Model.named_parameters().Where(p => p.parameter.requires_grad && p.name.EndsWith("bias", StringComparison.Ordinal)).Select(p => p.name));
        var only = LoraModel.Apply(LoraNet.Create(), QueryLike with { Bias = LoraBias.LoraOnly, TaskType = null });
        Assert.Equal(["fc1.bias", "fc2.bias"],
            only.Model.named_parameters().Where(p => p.parameter.requires_grad && p.name.EndsWith("bias", StringComparison.Ordinal)).Select(p => p.name));

        static int Rank(string a, string b) => Order(a).CompareTo(Order(b));
        static int Order(string name) => name switch
        {
            "fc1.lora_A.weight" => 0, "fc1.lora_B.weight" => 1, "fc2.lora_A.weight" => 2, "fc2.lora_B.weight" => 3, "classifier.weight" => 4, _ => 5,
        };
    }

    [Fact]
    public void Frozen_weights_get_no_gradient()
    {
        var model = LoraNet.Create();
        LoraModel.Apply(model, QueryLike);
        model.train();
        using var x = Input();
        using var loss = model.forward(x).sum();
        loss.backward();
        foreach (var (name, parameter) in model.named_parameters())
            Assert.True(parameter.requires_grad == (parameter.grad is not null), $"{name}: requires_grad {parameter.requires_grad}, grad {parameter.grad is not null}");
        Assert.NotNull(Layer(model, "fc1").weight);
        Assert.Null(Layer(model, "fc1").weight.grad);
    }

    [Fact]
    public void Merging_computes_what_the_adapter_computed_and_leaves_a_plain_model()
    {
        var model = LoraNet.Create();
        var frozenBefore = model.named_parameters().Select(p => p.name).ToList();
        var lora = LoraModel.Apply(model, QueryLike with { TargetModules = [LoraConfig.AllLinear] });
        foreach (var layer in lora.Layers)
            using (torch.no_grad()) nn.init.normal_(layer.LoraB.weight, std: 0.1);
        using var x = Input();
        var adapted = Output(model, x);

        Assert.Same(model, lora.MergeAndUnload());
        var merged = Output(model, x);
        for (int i = 0; i < adapted.Length; i++) Assert.Equal(adapted[i], merged[i], 4);
        Assert.Equal(frozenBefore, model.named_parameters().Select(p => p.name));   // no lora_A/lora_B left
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));          // trainable as before Apply
        Assert.Null(LoraModel.Find(model));
        Assert.Null(LoraLayer.Of(Layer(model, "fc1")));
        Assert.Throws<InvalidOperationException>(() => lora.SaveAdapter("nowhere"));
        Assert.NotNull(LoraModel.Apply(model, QueryLike));   // a merged model takes a new adapter
    }

    [Fact]
    public void A_second_adapter_on_the_same_model_is_refused()
    {
        var model = LoraNet.Create();
        LoraModel.Apply(model, QueryLike);
        var error = Assert.Throws<InvalidOperationException>(() => LoraModel.Apply(model, QueryLike));
        Assert.Contains("already has a LoRA adapter", error.Message);
    }

    [Fact]
    public void A_bad_config_or_target_leaves_the_model_as_it_was()
    {
        var model = LoraNet.Create();
#pragma warning disable DSL054, DSL055 // deliberately wrong: the run-time checks are what this test is about
        Assert.Throws<ArgumentException>(() => LoraModel.Apply(model, QueryLike with { R = 0 }));
        var error = Assert.Throws<ArgumentException>(() => LoraModel.Apply(model, QueryLike with { TargetModules = ["fc3"] }));
#pragma warning restore DSL054, DSL055
        Assert.Contains("entry 'fc3' matches no module of LoraNet; nearest Linear layers: fc1, fc2", error.Message);
        Assert.Null(LoraModel.Find(model));
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        Assert.Equal(8, model.named_parameters().Count());
    }

    [Fact]
    public void The_adapter_file_holds_only_what_trains_under_PEFTs_keys()
    {
        using var temp = new TempDirectory();
        var lora = LoraModel.Apply(LoraNet.Create(), QueryLike with { Bias = LoraBias.All });
        lora.SaveAdapter(temp.Path);
        var (tensors, metadata, _) = SafeTensors.ReadHeader(temp[LoraModel.WeightsFile]);
        Assert.Equal(
            [
                "base_model.model.classifier.bias", "base_model.model.classifier.weight",
                "base_model.model.fc1.base_layer.bias", "base_model.model.fc1.lora_A.weight", "base_model.model.fc1.lora_B.weight",
                "base_model.model.fc2.base_layer.bias", "base_model.model.fc2.lora_A.weight", "base_model.model.fc2.lora_B.weight",
                "base_model.model.norm.bias",
            ],
            tensors.Select(t => t.Name));
        Assert.Equal([4L, 4L], tensors.Single(t => t.Name == "base_model.model.fc1.lora_A.weight").Shape);
        Assert.Equal([16L, 4L], tensors.Single(t => t.Name == "base_model.model.fc1.lora_B.weight").Shape);
        Assert.Equal("pt", metadata["format"]);
        Assert.StartsWith("sha256:", metadata["dsl_base_model"]);
        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_saved_adapter_loads_onto_the_same_base_and_computes_the_same()
    {
        using var temp = new TempDirectory();
        var trained = LoraNet.Create(seed: 5);
        var lora = LoraModel.Apply(trained, QueryLike);
        using (torch.no_grad())
        {
            foreach (var layer in lora.Layers) nn.init.normal_(layer.LoraB.weight, std: 0.1);
            foreach (var p in Layer(trained, "classifier").parameters()) p.add_(0.25);
        }
        using var x = Input();
        var expected = Output(trained, x);
        lora.SaveAdapter(temp.Path);

        var fresh = LoraNet.Create(seed: 5);
        var loaded = LoraModel.Load(fresh, temp.Path);
        Assert.Equal(expected, Output(fresh, x));
        Assert.All(fresh.parameters(), p => Assert.False(p.requires_grad));   // PEFT's default: inference mode
        Assert.Equal(QueryLike.R, loaded.Config.R);
        var trainable = LoraModel.Load(LoraNet.Create(seed: 5), temp.Path, isTrainable: true);
        Assert.Equal(lora.CountParameters(), trainable.CountParameters());
    }

    [Fact]
    public void An_adapter_for_another_base_or_other_shapes_is_refused_and_the_model_left_alone()
    {
        using var temp = new TempDirectory();
        LoraModel.Apply(LoraNet.Create(seed: 5), QueryLike).SaveAdapter(temp.Path);

        var otherBase = LoraNet.Create(seed: 6);
        var error = Assert.Throws<InvalidDataException>(() => LoraModel.Load(otherBase, temp.Path));
        Assert.Contains("was trained on another base model than this LoraNet: its base weight fc1.weight differs", error.Message);
        Assert.Null(LoraModel.Find(otherBase));
        Assert.Equal(8, otherBase.named_parameters().Count());

        var wider = LoraNet.Create(seed: 5, width: 32);
        var shapes = Assert.Throws<InvalidDataException>(() => LoraModel.Load(wider, temp.Path));
        Assert.Contains("has shape [16, 4] but this model's fc1.lora_B.weight has [32, 4]", shapes.Message);
        Assert.Null(LoraModel.Find(wider));

        var missing = Assert.Throws<FileNotFoundException>(() => LoraModel.Load(LoraNet.Create(), temp["nowhere"]));
        Assert.Contains("adapter_config.json", missing.Message);
    }

    [Fact]
    public void Loading_weights_saved_under_another_rank_or_alpha_says_so()
    {
        using var temp = new TempDirectory();
        LoraModel.Apply(LoraNet.Create(seed: 5), QueryLike).SaveAdapter(temp.Path);
        var other = LoraModel.Apply(LoraNet.Create(seed: 5), QueryLike with { LoraAlpha = 16 });
        var error = Assert.Throws<InvalidDataException>(() => other.LoadAdapter(temp.Path));
        Assert.Contains("has r 4, lora_alpha 8, use_rslora False, but this adapter has r 4, lora_alpha 16", error.Message);
    }

    [Fact]
    public void Checkpoint_weights_of_an_adapted_model_are_the_adapter()
    {
        using var temp = new TempDirectory();
        var model = LoraNet.Create();
        LoraModel.Apply(model, QueryLike);
        Checkpoint.SaveWeights(model, temp.Path);
        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order());
        var plain = LoraNet.Create();
        var error = Assert.Throws<FileNotFoundException>(() => Checkpoint.LoadModel(plain, temp.Path));
        Assert.Contains("holds a LoRA adapter, not a whole model: apply the same LoraConfig", error.Message);
    }
}
