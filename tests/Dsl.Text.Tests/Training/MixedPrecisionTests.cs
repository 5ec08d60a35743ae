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

/// <summary>
/// Runs alone: these tests compare runs bit for bit or to a few thousandths, and torch's default
/// generator is process-wide, so another test class seeding or drawing from it in parallel would
/// change their numbers.
/// </summary>
[CollectionDefinition(nameof(SeededRuns), DisableParallelization = true)]
public sealed class SeededRuns;

/// <summary>BERT-tiny (BertConfig.Tiny) under Bf16 and Fp16 against float32, and resumed under both.</summary>
[Collection(nameof(SeededRuns))]
public class MixedPrecisionTrainingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // The mean of the last two logged losses (8 steps each) within 0.05 of float32's.
    private const double FinalLossTolerance = 0.05;

    private static (TextDataset<EncodedText> Data, int Vocabulary) Data(TempFolder temp)
    {
        var tokenizer = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { MaxLength = 12 });
        var examples = Enumerable.Range(0, 64)
            .Select(i => new TextExample(i % 2 == 0 ? "good movie good" : "bad movie bad", i % 2)).ToList();
        return (new TextDataset<TextExample>(examples).Map(tokenizer.Encode), tokenizer.VocabularySize);
    }

    private static TrainingArguments Arguments(string dir) => new()
    {
        OutputDir = dir, NumTrainEpochs = 3, PerDeviceTrainBatchSize = 8, LearningRate = 1e-3, LoggingSteps = 8,
        SaveStrategy = SaveStrategy.No, ReportTo = ["none"], DisableTqdm = true,
    };

    private static BertForSequenceClassification Model(int vocabulary)
    {
        torch.manual_seed(1);
        return new BertForSequenceClassification(BertConfig.Tiny with { VocabSize = vocabulary, MaxPositionEmbeddings = 16 });
    }

    [Fact]
    public void Bf16_and_Fp16_reach_the_float32_final_loss_on_bert_tiny()
    {
        using var temp = new TempFolder();
        var (data, vocabulary) = Data(temp);
        double Final(TrainingArguments args)
        {
            using var model = Model(vocabulary);
            var trainer = new TinyBertTrainer(model, args);
            trainer.Train(data);
            Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
            return trainer.LoggedLosses.TakeLast(2).Average();
        }
        double fp32 = Final(Arguments(temp.Path));
        double bf16 = Final(Arguments(temp.Path) with { Bf16 = true });
        double fp16 = Final(Arguments(temp.Path) with { Fp16 = true });
        output.WriteLine($"final loss: float32 {fp32:F4}, bf16 {bf16:F4}, fp16 {fp16:F4}");
        Assert.True(Math.Abs(bf16 - fp32) <= FinalLossTolerance, $"float32 {fp32:F4}, bf16 {bf16:F4}");
        Assert.True(Math.Abs(fp16 - fp32) <= FinalLossTolerance, $"float32 {fp32:F4}, fp16 {fp16:F4}");
        Assert.NotEqual(fp32, bf16);   // really computed in another precision
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Resuming_a_mixed_precision_bert_run_is_exact(bool fp16)
    {
        using var temp = new TempFolder();
        var (data, vocabulary) = Data(temp);
        var args = Arguments(temp.Path) with { Bf16 = !fp16, Fp16 = fp16, SaveStrategy = SaveStrategy.Steps, SaveSteps = 10, NumTrainEpochs = 2 };
        using var full = Model(vocabulary);
        var fullTrainer = new TinyBertTrainer(full, args);
        fullTrainer.Train(data);
        using var resumed = Model(vocabulary);
        var resumedTrainer = new TinyBertTrainer(resumed, args);
        resumedTrainer.Train(data, resumeFromCheckpoint: Path.Combine(temp.Path, "checkpoint-10"));
        Assert.Equal(fullTrainer.State.LossScaler, resumedTrainer.State.LossScaler);
        foreach (var ((name, a), (_, b)) in full.named_parameters().Zip(resumed.named_parameters()))
            Assert.True(a.eq(b).all().item<bool>(), $"{name} differs after resuming");
    }
}
