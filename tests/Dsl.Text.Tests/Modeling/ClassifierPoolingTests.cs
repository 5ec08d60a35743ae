using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Tests.Modeling;

/// <summary>classifier_pooling "mean": the classifier reads the mean of the real tokens' hidden states.</summary>
public sealed class ClassifierPoolingTests
{
    [Fact]
    public void Mean_pooling_classifies_the_masked_mean_of_the_last_hidden_states()
    {
        torch.manual_seed(4);
        using var model = new BertForSequenceClassification(new BertConfig
        {
            VocabSize = 30, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32,
            MaxPositionEmbeddings = 12, ClassifierPooling = "mean",
        });
        model.eval();
        using var ids = torch.randint(1, 30, [2, 6]);
        using var mask = torch.tensor(new long[,] { { 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 0, 0, 0 } });
        using var logits = model.forward(ids, mask).Logits;
        using var hidden = model.Bert.forward(ids, mask, null).LastHiddenState;
        using var first = hidden[0].mean([0]);
        using var second = hidden[1, TensorIndex.Slice(0, 3)].mean([0]);
        var classifier = (TorchSharp.Modules.Linear)model.named_children().Single(c => c.name == "classifier").module;
        using var expected = classifier.forward(torch.stack([first, second]));
        Assert.True(logits.allclose(expected, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void The_pooling_is_written_to_config_json_only_when_set_and_an_unknown_one_is_refused()
    {
        Assert.False(new BertConfig().ToJson().ContainsKey("classifier_pooling"));
        var json = new BertConfig { ClassifierPooling = "mean" }.ToJson();
        Assert.Equal("mean", (string?)json["classifier_pooling"]);
        Assert.Equal("mean", BertConfig.FromJson(json).ClassifierPooling);
        var e = Assert.Throws<ArgumentException>(() => new BertConfig { ClassifierPooling = "max" }.Validate());
        Assert.Contains("classifier_pooling 'max'", e.Message);
    }
}
