using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Tests.Training;

/// <summary>BERT's bf16 compute (TrainingArguments.Bf16): float32 weights, bf16 products, as autocast.</summary>
public class MixedPrecisionTests
{
    private static BertForSequenceClassification Tiny()
    {
        torch.manual_seed(5);
        return new BertForSequenceClassification(new BertConfig
        {
            VocabSize = 40, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64,
            MaxPositionEmbeddings = 16, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0,
        });
    }

    [Fact]
    public void Bf16_compute_is_close_to_float32_and_gradients_reach_float32_weights()
    {
        using var model = Tiny();
        model.eval();
        using var ids = torch.randint(1, 40, [3, 10]);
        using var labels = torch.tensor(new long[] { 0, 1, 1 });

        var full = model.forward(ids, labels: labels);
        model.ComputeDType = ScalarType.BFloat16;
        var mixed = model.forward(ids, labels: labels);
        mixed.Loss!.backward();
        model.ComputeDType = null;

        Assert.Equal(ScalarType.Float32, mixed.Logits.dtype);
        Assert.True(mixed.Logits.allclose(full.Logits, rtol: 0.05, atol: 0.05));
        Assert.False(mixed.Logits.eq(full.Logits).all().item<bool>());   // really computed in bf16
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var grad = model.parameters().First(p => p.grad is not null).grad!;
        Assert.Equal(ScalarType.Float32, grad.dtype);
        Assert.True(model.parameters().All(p => p.grad is null || p.grad.isfinite().all().item<bool>()));
    }

    [Fact]
    public void A_trainer_with_Bf16_trains_a_tiny_bert()
    {
        using var temp = new TempFolder();
        var tokenizer = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { MaxLength = 12 });
        var examples = Enumerable.Range(0, 64)
            .Select(i => new TextExample(i % 2 == 0 ? "good movie good" : "bad movie bad", i % 2)).ToList();
        var train = new TextDataset<TextExample>(examples).Map(tokenizer.Encode);
        torch.manual_seed(1);
        using var model = new BertForSequenceClassification(new BertConfig
        {
            VocabSize = tokenizer.VocabularySize, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2,
            IntermediateSize = 64, MaxPositionEmbeddings = 16,
        });
        var trainer = new TinyBertTrainer(model, new TrainingArguments
        {
            OutputDir = temp.Path, NumTrainEpochs = 12, PerDeviceTrainBatchSize = 8, LearningRate = 3e-3, LoggingSteps = 8,
            SaveStrategy = SaveStrategy.No, ReportTo = ["none"], DisableTqdm = true, Bf16 = true,
        });
        trainer.Train(train);
        Assert.Null(model.ComputeDType);
        Assert.True(trainer.LoggedLosses[^1] < trainer.LoggedLosses[0] * 0.5, string.Join(", ", trainer.LoggedLosses));
    }
}
