using System.Reflection;
using System.Text.RegularExpressions;
using Dsl.Adapters;
using Dsl.Checkpoints;
using Dsl.Text.Modeling;
using Dsl.Text.Pretrained;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Tests.Modeling;

/// <summary>
/// LoRA on Dsl.Text's BERT: the fused Q/K/V projection, mixed precision, merging into a Hugging Face folder. Alone, since
/// it compares forward passes for equality: a thread count changed by a test beside it would change how a GEMM sums.
/// </summary>
[Collection(nameof(Training.SeededRuns))]
public sealed partial class BertLoraTests
{
    private static readonly BertConfig Small = new()
    {
        VocabSize = 40, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 16,
        HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0, NumLabels = 2,
    };

    private static (Tensor Ids, Tensor Mask) Batch()
    {
        var random = new Random(7);
        var ids = Enumerable.Range(0, 30).Select(_ => (long)random.Next(5, 40)).ToArray();
        var mask = Enumerable.Range(0, 30).Select(i => i >= 26 ? 0L : 1L).ToArray();   // the last row is padded after 6 tokens
        return (torch.tensor(ids, [3, 10]), torch.tensor(mask, [3, 10]));
    }

    private static Tensor Logits(BertForSequenceClassification model, (Tensor Ids, Tensor Mask) batch)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        return model.forward(batch.Ids, batch.Mask).Logits;
    }

    /// <summary>B made non-zero, so the update shows in the output.</summary>
    private static void Perturb(LoraModel lora)
    {
        var generator = new Generator(11);
        using var noGrad = torch.no_grad();
        foreach (var layer in lora.Layers) layer.LoraB.weight.copy_(torch.randn(layer.LoraB.weight.shape, generator: generator) * 0.2);
    }

    [GeneratedRegex(@"\.\d+(?=\.|$)")]
    private static partial Regex Index();

    [Theory]
    [InlineData(typeof(BertForSequenceClassification))]
    [InlineData(typeof(BertModel))]
    public void The_module_tree_the_analyzer_reads_is_the_models_own(Type type)
    {
        using var model = type == typeof(BertModel) ? (nn.Module)new BertModel(Small) : new BertForSequenceClassification(Small);
        var tree = type.GetCustomAttribute<ModuleTreeAttribute>()!;
        var modules = model.named_modules().ToList();
        var linear = modules.Where(m => m.module is TorchSharp.Modules.Linear).Select(m => Index().Replace(m.name, ".*")).Distinct().ToList();
        var other = modules.Where(m => m.module is not TorchSharp.Modules.Linear).Select(m => Index().Replace(m.name, ".*")).Distinct().ToList();
        Assert.Equal(linear.Order(), tree.Linear.Order());
        Assert.Equal(other.Order(), tree.Other.Order());
    }

    [Theory]
    [InlineData("query,value")]
    [InlineData(LoraConfig.AllLinear)]
    public void The_adapted_model_computes_what_its_merged_weights_compute(string entries)
    {
        string[] targets = entries.Split(',');
        torch.manual_seed(1);
        using var model = new BertForSequenceClassification(Small);
        var batch = Batch();
        using var baseLogits = Logits(model, batch);
        var lora = LoraModel.Apply(model, new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = targets, TaskType = PeftTaskType.SeqCls });
        using (var start = Logits(model, batch)) Assert.True(start.eq(baseLogits).all().item<bool>(), "B starts at zero: the model starts as the base");

        Perturb(lora);
        using var adapted = Logits(model, batch);
        Assert.False(adapted.allclose(baseLogits, rtol: 1e-3, atol: 1e-3), "the update reaches the output");
        lora.MergeAndUnload();
        using var merged = Logits(model, batch);
        Assert.True(adapted.allclose(merged, rtol: 1e-4, atol: 1e-5), $"adapted {adapted.str()} merged {merged.str()}");
    }

    [Theory]
    [InlineData("query")]
    [InlineData("key")]
    [InlineData("value")]
    [InlineData("query,value")]
    public void The_fused_projection_adds_each_layers_update_to_its_own_third(string entries)
    {
        torch.manual_seed(2);
        using var layers = nn.Sequential(("query", nn.Linear(8, 8)), ("key", nn.Linear(8, 8)), ("value", nn.Linear(8, 8)));
        var lora = LoraModel.Apply(layers, new LoraConfig { R = 2, TargetModules = entries.Split(',') });
        Perturb(lora);
        var linear = layers.named_children().Select(m => (TorchSharp.Modules.Linear)m.module).ToArray();
        using var x = torch.randn(3, 5, 8);
        using var fused = new ComputePrecision().Linear(linear, x);
        using var expected = torch.cat(linear.Select(l => l.call(x)).ToArray(), -1);   // call(x): each layer with its hook
        Assert.True(fused.allclose(expected, rtol: 1e-5, atol: 1e-6));
        using var plain = torch.cat(linear.Select(l => l.forward(x)).ToArray(), -1);
        for (int i = 0; i < 3; i++)
        {
            bool adapted = entries.Split(',').Contains(new[] { "query", "key", "value" }[i]);
            using var third = (fused - plain).narrow(-1, 8 * i, 8).abs().max();
            Assert.True(adapted == third.item<float>() > 1e-4, $"{i}: adapted {adapted}, largest change {third.item<float>()}");
        }
    }

    [Fact]
    public void In_bf16_compute_the_update_is_added_too()
    {
        torch.manual_seed(1);
        using var model = new BertForSequenceClassification(Small);
        var batch = Batch();
        var lora = LoraModel.Apply(model, new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = [LoraConfig.AllLinear] });
        Perturb(lora);
        using var adapted = Logits(model, batch);
        model.ComputeDType = ScalarType.BFloat16;
        using var adaptedBf16 = Logits(model, batch);
        model.ComputeDType = null;
        lora.MergeAndUnload();
        using var merged = Logits(model, batch);
        Assert.True(adaptedBf16.allclose(adapted, rtol: 0.05, atol: 0.05), $"bf16 {adaptedBf16.str()} float32 {adapted.str()}");
        Assert.True(adapted.allclose(merged, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Only_the_adapters_and_the_head_get_gradients()
    {
        torch.manual_seed(1);
        using var model = new BertForSequenceClassification(Small);
        LoraModel.Apply(model, new LoraConfig { TargetModules = ["query", "value"], TaskType = PeftTaskType.SeqCls });
        model.train();
        var batch = Batch();
        using var labels = torch.tensor(new long[] { 0, 1, 1 });
        using var loss = model.forward(batch.Ids, batch.Mask, labels: labels).Loss!;
        loss.backward();
        foreach (var (name, parameter) in model.named_parameters())
        {
            bool trains = name.Contains("lora_", StringComparison.Ordinal) || name.StartsWith("classifier.", StringComparison.Ordinal);
            Assert.True(trains == parameter.requires_grad, name);
            Assert.True(trains == (parameter.grad is not null), $"{name} has a gradient: {parameter.grad is not null}");
            // B starts at zero, so its gradient (A·x)ᵀ·dy is not: every adapter is on the path of the loss.
            if (name.EndsWith("lora_B.weight", StringComparison.Ordinal)) Assert.True(parameter.grad!.abs().sum().item<float>() > 0, name);
        }
        Assert.Equal(2 * 2 * 2 + 2, model.named_parameters().Count(p => p.parameter.requires_grad));
    }

    [Fact]
    public void The_adapter_file_uses_PEFTs_keys_for_a_bert_classifier()
    {
        using var temp = new TempFolder();
        torch.manual_seed(1);
        using var model = new BertForSequenceClassification(Small);
        LoraModel.Apply(model, new LoraConfig { TargetModules = ["query", "value"], TaskType = PeftTaskType.SeqCls }).SaveAdapter(temp.Path);
        var (tensors, _, _) = SafeTensors.ReadHeader(temp.File(LoraModel.WeightsFile));
        var names = tensors.Select(t => t.Name).ToList();
        Assert.Equal(2 * 2 * 2 + 2, names.Count);
        Assert.Contains("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight", names);
        Assert.Contains("base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight", names);
        Assert.Contains("base_model.model.classifier.weight", names);
        Assert.Contains("base_model.model.classifier.bias", names);
    }

    [Fact]
    public void A_merged_model_saves_a_plain_Hugging_Face_folder_that_loads_back()
    {
        using var temp = new TempFolder();
        torch.manual_seed(1);
        using var model = new BertForSequenceClassification(Small);
        var batch = Batch();
        var lora = LoraModel.Apply(model, new LoraConfig { TargetModules = ["query", "value", "dense"], TaskType = PeftTaskType.SeqCls });
        Perturb(lora);
        using var adapted = Logits(model, batch);
        lora.MergeAndUnload();
        model.SavePretrained(temp.Path);

        var (tensors, _, _) = SafeTensors.ReadHeader(temp.File("model.safetensors"));
        Assert.DoesNotContain(tensors, t => t.Name.Contains("lora", StringComparison.Ordinal));
        using var reloaded = BertForSequenceClassification.FromPretrained(temp.Path, out var report);
        Assert.True(report.IsExact, report.ToString());
        using var logits = Logits(reloaded, batch);
        Assert.True(logits.allclose(adapted, rtol: 1e-4, atol: 1e-5));
    }
}
