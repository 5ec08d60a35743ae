using Dsl.Memory;
using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Tests.Training;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Tests.Modeling;

/// <summary>BERT under gradient checkpointing: each layer recomputed in backward, the same gradients and weights.</summary>
[Collection(nameof(SeededRuns))]
public sealed class BertCheckpointingTests
{
    private static BertForSequenceClassification Model(string attention)
    {
        torch.manual_seed(11);
        return new BertForSequenceClassification(new BertConfig
        {
            VocabSize = 50, HiddenSize = 32, NumHiddenLayers = 3, NumAttentionHeads = 4, IntermediateSize = 64,
            MaxPositionEmbeddings = 24, AttnImplementation = attention,
        });
    }

    private static Dictionary<string, Tensor> Gradients(string attention, bool checkpointing)
    {
        using var model = Model(attention);
        if (checkpointing) model.GradientCheckpointingEnable();
        Assert.Equal(checkpointing, model.IsGradientCheckpointing);
        model.train();
        torch.manual_seed(3);
        using var ids = torch.randint(1, 50, [6, 20]);
        using var mask = torch.ones(6, 20, dtype: int64);
        mask[1, TensorIndex.Slice(9)] = torch.tensor(0L);
        using var labels = torch.tensor(new long[] { 0, 1, 1, 0, 1, 0 });
        torch.manual_seed(7);
        using var loss = model.forward(ids, mask, null, labels).Loss!;
        loss.backward();
        return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
    }

    [Theory]
    [InlineData(AttentionImplementations.Eager)]
    [InlineData(AttentionImplementations.Sdpa)]
    public void Checkpointed_layers_give_the_gradients_of_plain_ones_with_every_dropout_replayed(string attention)
    {
        var plain = Gradients(attention, checkpointing: false);
        var checkpointed = Gradients(attention, checkpointing: true);
        foreach (var (name, grad) in plain)
            Assert.True(grad.eq(checkpointed[name]).all().item<bool>(), $"{name}: gradients differ under checkpointing ({attention})");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_trainer_with_GradientCheckpointing_ends_with_the_weights_of_one_without(bool bf16)
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { MaxLength = 12 });
        var data = new TextDataset<TextExample>(Enumerable.Range(0, 48)
            .Select(i => new TextExample(i % 2 == 0 ? "good movie good" : "bad movie bad", i % 2)).ToList()).Map(tokenizer.Encode);
        Dictionary<string, Tensor> Train(bool checkpointing)
        {
            torch.manual_seed(1);
            using var model = new BertForSequenceClassification(BertConfig.Tiny with { VocabSize = tokenizer.VocabularySize, MaxPositionEmbeddings = 16 });
            var trainer = new TinyBertTrainer(model, new TrainingArguments
            {
                OutputDir = temp.Path, NumTrainEpochs = 2, PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 2, LearningRate = 1e-3,
                SaveStrategy = SaveStrategy.No, ReportTo = ["none"], DisableTqdm = true, Bf16 = bf16, GradientCheckpointing = checkpointing,
            });
            trainer.Train(data);
            return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        }
        var plain = Train(false);
        var checkpointed = Train(true);
        foreach (var (name, weight) in plain)
            Assert.True(weight.eq(checkpointed[name]).all().item<bool>(), $"{name} differs with gradient checkpointing");
    }

    [Fact]
    public void Bert_estimates_less_activation_memory_with_sdpa_and_with_checkpointing()
    {
        var query = new ActivationQuery(32, 512, Training: true, GradientCheckpointing: false, ComputeDType: null);
        var eager = BertConfig.Base with { AttnImplementation = AttentionImplementations.Eager };
        var sdpa = BertConfig.Base with { AttnImplementation = AttentionImplementations.Sdpa };
        double eagerPeak = eager.EstimateActivations(query).Peak;
        double sdpaPeak = sdpa.EstimateActivations(query).Peak;
        double checkpointedPeak = sdpa.EstimateActivations(query with { GradientCheckpointing = true }).Peak;
        Assert.True(sdpaPeak < eagerPeak / 2, $"sdpa {sdpaPeak:E2}, eager {eagerPeak:E2}");
        Assert.True(checkpointedPeak < sdpaPeak / 4, $"checkpointed {checkpointedPeak:E2}, sdpa {sdpaPeak:E2}");
        Assert.NotNull(eager.EstimateActivations(query).Advice);
        Assert.Null(sdpa.EstimateActivations(query).Advice);
    }
}
