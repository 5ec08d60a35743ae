using Dsl.Adapters;
using Dsl.Checkpoints;
using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Tests.Training;

/// <summary>The DSL's defaults on a LoRA BERT: the default optimizer, no [Optimizer] needed.</summary>
[Trainer]
public partial class LoraBertTrainer(BertForSequenceClassification model, TrainingArguments args)
{
    public List<double> LoggedLosses { get; } = [];

    [TrainStep]
    Tensor Step(TextBatch batch) => model.forward(batch).Loss!;

    [OnLog]
    void Record(LogEvent e)
    {
        if (e.Loss is { } loss) LoggedLosses.Add(loss);
    }
}

/// <summary>LoRA fine-tuning of a tiny BERT with the DSL: the loss falls, and a resumed run ends as an uninterrupted one.</summary>
[Collection(nameof(SeededRuns))]
public class LoraFineTuneTests
{
    private static readonly LoraConfig Lora = new()
    {
        R = 4, LoraAlpha = 8, LoraDropout = 0.1, TargetModules = ["query", "value"], TaskType = PeftTaskType.SeqCls,
    };

    private static (BertForSequenceClassification Model, IReadOnlyList<EncodedText> Data) Setup(TempFolder temp)
    {
        var tokenizer = TinyVocabulary.Tokenizer(temp, new BertTokenizerOptions { MaxLength = 12 });
        var examples = new List<TextExample>();
        var random = new Random(3);
        string[] good = ["good", "cute", "the movie is good"], bad = ["bad", "bad movie", "my dog is bad"];
        for (int i = 0; i < 64; i++) examples.Add(new TextExample((i % 2 == 0 ? good : bad)[random.Next(3)], i % 2 == 0 ? 1 : 0));
        torch.manual_seed(0);
        var model = new BertForSequenceClassification(new BertConfig
        {
            VocabSize = tokenizer.VocabularySize, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64,
            MaxPositionEmbeddings = 16, NumLabels = 2,
        });
        return (model, new TextDataset<TextExample>(examples).Map(tokenizer.Encode));
    }

    private static TrainingArguments Args(string output) => new()
    {
        OutputDir = output, NumTrainEpochs = 5, PerDeviceTrainBatchSize = 8, LearningRate = 3e-2, LoggingSteps = 4,
        SaveStrategy = SaveStrategy.Steps, SaveSteps = 4, ReportTo = ["none"], DisableTqdm = true, Seed = 42,
    };

    [Fact]
    public void A_lora_bert_trains_with_the_default_optimizer_and_resumes_exactly()
    {
        using var temp = new TempFolder();
        var (model, data) = Setup(temp);
        var lora = LoraModel.Apply(model, Lora);
        var frozen = model.named_parameters().Where(p => !p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var trainer = new LoraBertTrainer(model, Args(temp.File("full")));
        trainer.Train(data);
        Assert.True(trainer.LoggedLosses[^1] < trainer.LoggedLosses[0] * 0.8, string.Join(", ", trainer.LoggedLosses));
        foreach (var (name, parameter) in model.named_parameters().Where(p => frozen.ContainsKey(p.name)))
            Assert.True(parameter.eq(frozen[name]).all().item<bool>(), $"{name} changed");

        var (resumedModel, _) = Setup(temp);
        LoraModel.Apply(resumedModel, Lora);
        var resumed = new LoraBertTrainer(resumedModel, Args(temp.File("full")));
        resumed.Train(data, resumeFromCheckpoint: Checkpoint.PathFor(temp.File("full"), 8));
        var expected = model.state_dict();
        foreach (var (name, tensor) in resumedModel.state_dict())
            Assert.True(tensor.eq(expected[name]).all().item<bool>(), $"{name} differs after resuming");
        Assert.Equal(trainer.LoggedLosses.Skip(trainer.LoggedLosses.Count - resumed.LoggedLosses.Count), resumed.LoggedLosses);
        Assert.Equal(lora.CountParameters(), LoraModel.Find(resumedModel)!.CountParameters());
    }
}
