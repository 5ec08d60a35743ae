using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Tests.Modeling;

public class BertModelTests
{
    private static readonly BertConfig OneLayer = new()
    {
        VocabSize = 50, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32,
        MaxPositionEmbeddings = 20, NumLabels = 3,
    };

    [Fact]
    public void Parameter_names_are_huggingfaces_for_a_one_layer_model()
    {
        // HF: list(BertForSequenceClassification(config).state_dict()) for num_hidden_layers=1.
        string[] expected =
        [
            "bert.embeddings.word_embeddings.weight",
            "bert.embeddings.position_embeddings.weight",
            "bert.embeddings.token_type_embeddings.weight",
            "bert.embeddings.LayerNorm.weight",
            "bert.embeddings.LayerNorm.bias",
            "bert.encoder.layer.0.attention.self.query.weight",
            "bert.encoder.layer.0.attention.self.query.bias",
            "bert.encoder.layer.0.attention.self.key.weight",
            "bert.encoder.layer.0.attention.self.key.bias",
            "bert.encoder.layer.0.attention.self.value.weight",
            "bert.encoder.layer.0.attention.self.value.bias",
            "bert.encoder.layer.0.attention.output.dense.weight",
            "bert.encoder.layer.0.attention.output.dense.bias",
            "bert.encoder.layer.0.attention.output.LayerNorm.weight",
            "bert.encoder.layer.0.attention.output.LayerNorm.bias",
            "bert.encoder.layer.0.intermediate.dense.weight",
            "bert.encoder.layer.0.intermediate.dense.bias",
            "bert.encoder.layer.0.output.dense.weight",
            "bert.encoder.layer.0.output.dense.bias",
            "bert.encoder.layer.0.output.LayerNorm.weight",
            "bert.encoder.layer.0.output.LayerNorm.bias",
            "bert.pooler.dense.weight",
            "bert.pooler.dense.bias",
            "classifier.weight",
            "classifier.bias",
        ];
        using var model = new BertForSequenceClassification(OneLayer);
        Assert.Equal(expected, model.state_dict().Keys.ToArray());
        Assert.Equal(expected, model.named_parameters().Select(p => p.name).ToArray());
        Assert.Equal([16L, 3], model.state_dict()["classifier.weight"].shape.Reverse().ToArray());
    }

    [Fact]
    public void Position_ids_is_a_buffer_that_is_not_saved()
    {
        // HF (>= 4.31) registers position_ids with persistent=False.
        using var model = new BertForSequenceClassification(OneLayer);
        var buffer = model.Bert.Embeddings.PositionIds;
        Assert.Equal(new long[] { 1, 20 }, buffer.shape);
        Assert.Equal(19L, buffer[0, 19].item<long>());
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("position_ids"));
    }

    [Fact]
    public void Initialisation_follows_hf_init_weights()
    {
        torch.manual_seed(1);
        var config = new BertConfig { VocabSize = 4000, HiddenSize = 128, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 256, PadTokenId = 3 };
        using var model = new BertForSequenceClassification(config);
        var sd = model.state_dict();
        var words = sd["bert.embeddings.word_embeddings.weight"];
        Assert.Equal(0.0, words[3].abs().sum().item<float>());
        AssertNormal(words, 0.02, tolerance: 0.02);
        AssertNormal(sd["bert.encoder.layer.0.intermediate.dense.weight"], 0.02, tolerance: 0.03);
        AssertNormal(sd["bert.pooler.dense.weight"], 0.02, tolerance: 0.05);
        AssertNormal(sd["classifier.weight"], 0.02, tolerance: 0.2);
        foreach (var (name, tensor) in sd)
        {
            if (name.EndsWith(".bias")) Assert.Equal(0.0, tensor.abs().sum().item<float>());
            if (name.EndsWith("LayerNorm.weight")) Assert.True(tensor.eq(1).all().item<bool>(), name);
        }

        static void AssertNormal(Tensor t, double std, double tolerance)
        {
            Assert.InRange(t.std().item<float>(), std * (1 - tolerance), std * (1 + tolerance));
            double bound = 4 * std / Math.Sqrt(t.NumberOfElements); // four standard errors
            Assert.InRange(t.mean().item<float>(), -bound, bound);
        }
    }

    [Fact]
    public void Padding_does_not_change_the_logits_of_the_unpadded_tokens()
    {
        torch.manual_seed(2);
        // Large weights, so that attending to padding would visibly move the logits.
        using var model = new BertForSequenceClassification(OneLayer with { InitializerRange = 0.5 });
        model.eval();
        using var scope = torch.NewDisposeScope();
        var ids = torch.tensor(new long[] { 2, 7, 9, 11, 3 }).unsqueeze(0);
        var alone = model.forward(ids, torch.ones_like(ids)).Logits;

        var padded = torch.tensor(new long[] { 2, 7, 9, 11, 3, 0, 41, 5 }).unsqueeze(0);
        var mask = torch.tensor(new long[] { 1, 1, 1, 1, 1, 0, 0, 0 }).unsqueeze(0);
        var masked = model.forward(padded, mask).Logits;
        var unmasked = model.forward(padded, torch.ones_like(padded)).Logits;

        Assert.True(alone.allclose(masked, rtol: 0, atol: 1e-6), $"{alone.str()} vs {masked.str()}");
        // The mask is what makes them equal: without it the padding changes the output.
        Assert.False(alone.allclose(unmasked, rtol: 0, atol: 1e-3));
    }

    [Fact]
    public void The_loss_is_cross_entropy_for_class_ids()
    {
        torch.manual_seed(3);
        using var model = new BertForSequenceClassification(OneLayer);
        model.eval();
        using var scope = torch.NewDisposeScope();
        var ids = torch.tensor(new long[,] { { 2, 5, 6, 3 }, { 2, 8, 3, 0 } });
        var mask = torch.tensor(new long[,] { { 1, 1, 1, 1 }, { 1, 1, 1, 0 } });
        var labels = torch.tensor(new long[] { 2, 0 });
        var output = model.forward(ids, mask, labels: labels);
        var expected = nn.functional.cross_entropy(output.Logits, labels);
        Assert.Equal(expected.item<float>(), output.Loss.item<float>(), 6);
        Assert.Equal(new long[] { 2, 3 }, output.Logits.shape);
        StepOutput step = output;
        Assert.Same(output.Labels, step.Labels);
    }

    [Fact]
    public void The_loss_is_mse_when_num_labels_is_one()
    {
        torch.manual_seed(4);
        using var model = new BertForSequenceClassification(OneLayer with { NumLabels = 1 });
        model.eval();
        using var scope = torch.NewDisposeScope();
        var ids = torch.tensor(new long[,] { { 2, 5, 6, 3 }, { 2, 8, 3, 9 }, { 2, 4, 4, 3 } });
        var targets = torch.tensor(new float[] { 0.5f, -1.0f, 2.0f });
        var output = model.forward(ids, labels: targets);
        double expected = (output.Logits.squeeze() - targets).pow(2).mean().item<float>();
        Assert.Equal(expected, output.Loss.item<float>(), 6);
        // Integer targets are converted, as for a regression on scores.
        var fromInts = model.forward(ids, labels: torch.tensor(new long[] { 1, 0, 2 }));
        Assert.Equal((output.Logits.squeeze() - torch.tensor(new float[] { 1, 0, 2 })).pow(2).mean().item<float>(), fromInts.Loss.item<float>(), 6);
    }

    [Fact]
    public void Float_labels_with_several_classes_give_the_multi_label_loss()
    {
        torch.manual_seed(5);
        using var model = new BertForSequenceClassification(OneLayer);
        model.eval();
        using var scope = torch.NewDisposeScope();
        var ids = torch.tensor(new long[,] { { 2, 5, 6, 3 }, { 2, 8, 3, 9 } });
        var targets = torch.tensor(new float[,] { { 1, 0, 1 }, { 0, 0, 1 } });
        var output = model.forward(ids, labels: targets);
        var expected = nn.functional.binary_cross_entropy_with_logits(output.Logits, targets);
        Assert.Equal(expected.item<float>(), output.Loss.item<float>(), 6);
    }

    [Fact]
    public void Without_labels_there_is_no_loss_and_asking_says_why()
    {
        using var model = new BertForSequenceClassification(OneLayer);
        using var scope = torch.NewDisposeScope();
        var output = model.forward(torch.tensor(new long[,] { { 2, 5, 3 } }));
        Assert.False(output.HasLoss);
        Assert.Contains("no labels", Assert.Throws<InvalidOperationException>(() => output.Loss).Message);
    }

    [Fact]
    public void A_float64_model_masks_with_float64s_minimum_and_keeps_int64_positions()
    {
        torch.manual_seed(6);
        using var model = new BertForSequenceClassification(OneLayer with { InitializerRange = 0.5 });
        model.eval();
        model.to(ScalarType.Float64);
        using var scope = torch.NewDisposeScope();
        var ids = torch.tensor(new long[,] { { 2, 7, 9, 3, 0 } });
        var logits = model.forward(ids, torch.tensor(new long[,] { { 1, 1, 1, 1, 0 } })).Logits;
        Assert.Equal(ScalarType.Float64, logits.dtype);
        Assert.Equal(ScalarType.Int64, model.Bert.Embeddings.PositionIds.dtype);
        var alone = model.forward(ids.narrow(1, 0, 4)).Logits;
        Assert.True(alone.allclose(logits, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void The_checkpoint_config_names_the_architecture_and_reads_back()
    {
        using var model = new BertForSequenceClassification(OneLayer);
        var json = ((Dsl.Checkpoints.IModelConfig)model).ToConfigJson();
        Assert.Equal("BertForSequenceClassification", (string)json["architectures"]![0]!);
        var back = BertConfig.FromJson(json);
        Assert.Equal((OneLayer.HiddenSize, OneLayer.NumLabels, OneLayer.VocabSize), (back.HiddenSize, back.NumLabels, back.VocabSize));
    }

    [Fact]
    public void Sequences_longer_than_the_position_table_are_refused()
    {
        using var model = new BertModel(OneLayer);
        using var scope = torch.NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => model.forward(torch.zeros(1, 21, dtype: int64)));
        Assert.Contains("max_position_embeddings", e.Message);
    }
}
