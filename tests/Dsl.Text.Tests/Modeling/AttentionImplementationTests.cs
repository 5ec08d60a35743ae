using System.Text.Json.Nodes;
using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Tests.Modeling;

/// <summary>attn_implementation "sdpa" and "eager": the same model, in evaluation and in training.</summary>
/// <remarks>Alone in time: the tests seed torch's global generator and set the attention's chunk size.</remarks>
[Collection(nameof(Dsl.Text.Tests.Training.SeededRuns))]
public sealed class AttentionImplementationTests
{
    private static BertConfig Config(string attention, double dropout = 0.1) => new()
    {
        VocabSize = 50, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64,
        MaxPositionEmbeddings = 24, HiddenDropoutProb = dropout, AttentionProbsDropoutProb = dropout, AttnImplementation = attention,
    };

    private static BertForSequenceClassification Model(string attention, double dropout = 0.1)
    {
        torch.manual_seed(11);
        return new BertForSequenceClassification(Config(attention, dropout));
    }

    // Five reviews of 20 tokens, the last three padded, so the mask matters.
    private static (Tensor Ids, Tensor Mask, Tensor Labels) Batch()
    {
        torch.manual_seed(3);
        var ids = torch.randint(1, 50, [5, 20]);
        var mask = torch.ones(5, 20, dtype: int64);
        mask[2, TensorIndex.Slice(15)] = torch.tensor(0L);
        mask[3, TensorIndex.Slice(4)] = torch.tensor(0L);
        mask[4, TensorIndex.Slice(11)] = torch.tensor(0L);
        return (ids, mask, torch.tensor(new long[] { 0, 1, 1, 0, 1 }));
    }

    [Fact]
    public void Sdpa_and_eager_agree_in_evaluation_within_1e_5()
    {
        var (ids, mask, _) = Batch();
        using var eager = Model(AttentionImplementations.Eager);
        using var sdpa = Model(AttentionImplementations.Sdpa);
        eager.eval();
        sdpa.eval();
        using var a = eager.Bert.forward(ids, mask, null).LastHiddenState;
        using var b = sdpa.Bert.forward(ids, mask, null).LastHiddenState;
        double difference = (a - b).abs().max().item<float>();
        Assert.True(difference < 1e-5, $"largest difference {difference}");
    }

    [Theory]
    [InlineData(1L << 22)]   // the whole batch in one chunk
    [InlineData(1L)]         // one review per chunk: the masks are rebuilt from each chunk's first index
    public void Sdpa_training_with_dropout_drops_what_eager_drops_and_gives_its_gradients(long chunkElements)
    {
        var (ids, mask, labels) = Batch();
        var before = MemoryEfficientAttention.ChunkElements;
        MemoryEfficientAttention.ChunkElements = chunkElements;
        try
        {
            var (eagerLoss, eagerGrads) = LossAndGradients(AttentionImplementations.Eager, ids, mask, labels);
            var (sdpaLoss, sdpaGrads) = LossAndGradients(AttentionImplementations.Sdpa, ids, mask, labels);
            Assert.True(Math.Abs(eagerLoss - sdpaLoss) < 1e-5, $"loss: eager {eagerLoss}, sdpa {sdpaLoss}");
            foreach (var (name, grad) in eagerGrads)
            {
                double difference = (grad - sdpaGrads[name]).abs().max().item<float>();
                Assert.True(difference < 1e-5, $"{name}: largest gradient difference {difference}");
            }
        }
        finally
        {
            MemoryEfficientAttention.ChunkElements = before;
        }
    }

    [Fact]
    public void Attention_dropout_changes_sdpa_training_so_the_comparison_above_can_fail()
    {
        var (ids, mask, labels) = Batch();
        var (withDropout, _) = LossAndGradients(AttentionImplementations.Sdpa, ids, mask, labels);
        var (without, _) = LossAndGradients(AttentionImplementations.Sdpa, ids, mask, labels, dropout: 0);
        Assert.True(Math.Abs(withDropout - without) > 1e-4, $"{withDropout} vs {without}");
    }

    private static (double Loss, Dictionary<string, Tensor> Grads) LossAndGradients(string attention, Tensor ids, Tensor mask, Tensor labels,
        double dropout = 0.1)
    {
        using var model = Model(attention, dropout);
        model.train();
        torch.manual_seed(7);
        using var loss = model.forward(ids, mask, null, labels).Loss!;
        loss.backward();
        return (loss.item<float>(), model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
    }

    [Fact]
    public void An_implementation_bert_does_not_have_is_refused_by_name()
    {
        var e = Assert.Throws<ArgumentException>(() => new BertForSequenceClassification(Config("flash_attention_2")));
        Assert.Contains("BERT does not support attn_implementation 'flash_attention_2'", e.Message);
        Assert.Contains("'sdpa' or 'eager'", e.Message);
    }

    [Fact]
    public void Config_json_may_name_the_implementation_and_it_is_not_written_back()
    {
        var json = Config(AttentionImplementations.Eager).ToJson();
        Assert.False(json.ContainsKey("attn_implementation"));
        json["attn_implementation"] = "eager";
        Assert.Equal("eager", BertConfig.FromJson(json).AttnImplementation);
        json["attn_implementation"] = "magic";
        var e = Assert.Throws<InvalidDataException>(() => BertConfig.FromJson((JsonObject)json.DeepClone(), "m/config.json"));
        Assert.Contains("m/config.json", e.Message);
        Assert.Contains("'magic'", e.Message);
    }

    [Fact]
    public void The_default_is_sdpa()
    {
        Assert.Equal(AttentionImplementations.Sdpa, new BertConfig().ResolvedAttnImplementation);
    }
}
