using System.Text;
using Dsl.Onnx.Bert;
using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Dsl.Onnx.Tests;

/// <summary>A short fine-tune with the generated loop, whose model is then exported.</summary>
[Trainer]
public partial class ParityTrainer(BertForSequenceClassification model, TrainingArguments args)
{
    public List<double> Losses { get; } = [];

    [TrainStep]
    Tensor Step(TextBatch batch) => model.forward(batch).Loss;

    [OnLog]
    void Record(LogEvent e)
    {
        if (e.Loss is { } loss) Losses.Add(loss);
    }
}

/// <summary>
/// The issue's parity test: after a short fine-tune, our model and ONNX Runtime on the exported graph
/// agree within 1e-4 on the logits of at least 200 reviews the model did not train on, in padded
/// batches and one review at a time; the graph that tokenises too, from the raw strings.
/// </summary>
public sealed class FineTunedParityTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private const double Tolerance = 1e-4;
    private const int Held = 240;

    private static readonly string[] Good = ["good", "great", "superb", "moving", "funny", "clever", "charming", "gripping"];
    private static readonly string[] Bad = ["bad", "dull", "boring", "awful", "clumsy", "tedious", "weak", "flat"];
    private static readonly string[] Things = ["film", "movie", "plot", "cast", "ending", "script", "story", "pacing"];

    // Review-like sentences of varied length (so batches pad), labelled 1 when positive.
    private static List<TextExample> Synthetic(int count, int seed)
    {
        var random = new Random(seed);
        var examples = new List<TextExample>();
        for (int i = 0; i < count; i++)
        {
            bool positive = random.Next(2) == 0;
            var text = new StringBuilder();
            for (int clause = random.Next(1, 5); clause > 0; clause--)
            {
                string word = (positive ? Good : Bad)[random.Next(8)];
                text.Append($"the {Things[random.Next(8)]} was {word}{(random.Next(3) == 0 ? " and " + (positive ? Good : Bad)[random.Next(8)] : "")}, ");
            }
            examples.Add(new TextExample(text.ToString().TrimEnd(' ', ','), positive ? 1 : 0));
        }
        return examples;
    }

    private static BertTokenizer SyntheticTokenizer(TempFolder temp)
    {
        string path = temp.File("vocab.txt");
        File.WriteAllLines(path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "was", "and", ",", .. Good, .. Bad, .. Things]);
        return BertTokenizer.FromVocabulary(path, new BertTokenizerOptions { MaxLength = 64 });
    }

    [Fact]
    public void After_fine_tuning_on_built_in_reviews_ONNX_Runtime_gives_our_logits_for_held_out_reviews()
    {
        using var temp = new TempFolder();
        var tokenizer = SyntheticTokenizer(temp);
        Check(temp, tokenizer, tokenizer, Synthetic(256, seed: 1), Synthetic(Held, seed: 2).Select(e => e.Text).ToArray(), hidden: 64, epochs: 3, learningRate: 3e-3);
    }

    [SharedDataFact("imdb/train.jsonl", "imdb/test.jsonl", "bert-base-uncased/vocab.txt")]
    public void After_fine_tuning_on_IMDb_ONNX_Runtime_gives_our_logits_for_test_reviews()
    {
        using var temp = new TempFolder();
        // Trained on 128 tokens (quick), compared on up to 256, so that many reviews are shorter than their batch's longest.
        string vocabulary = SharedData.Find("bert-base-uncased/vocab.txt")!;
        var tokenizer = BertTokenizer.FromVocabulary(vocabulary, new BertTokenizerOptions { MaxLength = 128 });
        var full = BertTokenizer.FromVocabulary(vocabulary, new BertTokenizerOptions { MaxLength = 256 });
        var train = TextDatasets.Load(SharedData.Find("imdb/train.jsonl")!).Shuffle(42).Take(96).ToList();
        // The test split: reviews the model never trained on.
        var held = TextDatasets.Load(SharedData.Find("imdb/test.jsonl")!).Shuffle(7).Take(Held).Select(e => e.Text).ToArray();
        // 96 reviews teach a BERT from scratch nothing (its logits stay near 0, where 1e-4 says little): start from
        // large random weights, whose logits are O(1), and fine-tune those.
        Check(temp, tokenizer, full, train, held, hidden: 128, epochs: 2, learningRate: 1e-4, randomScale: 0.1);
    }

    private void Check(TempFolder temp, BertTokenizer trainTokenizer, BertTokenizer tokenizer, IReadOnlyList<TextExample> train, string[] held, int hidden, int epochs,
        double learningRate, double randomScale = 0)
    {
        torch.manual_seed(5);
        var config = BertConfig.Tiny with
        {
            VocabSize = tokenizer.VocabularySize, HiddenSize = hidden, IntermediateSize = 4 * hidden, MaxPositionEmbeddings = tokenizer.Options.MaxLength,
        };
        using var model = new BertForSequenceClassification(config);
        if (randomScale > 0) Berts.Randomised(model, seed: 3, randomScale).train();
        var args = new TrainingArguments
        {
            OutputDir = temp.File("results"), NumTrainEpochs = epochs, PerDeviceTrainBatchSize = 16, LearningRate = learningRate, LoggingSteps = 4,
            SaveStrategy = SaveStrategy.No, ReportTo = ["none"], DisableTqdm = true, Seed = 42,
        };
        var trainer = new ParityTrainer(model, args);
        trainer.Train(new TextDataset<TextExample>(train).Map(trainTokenizer.Encode));
        log.WriteLine($"fine-tuned {trainer.State.GlobalStep} steps; logged losses {string.Join(", ", trainer.Losses)}");
        Assert.True(trainer.State.GlobalStep >= 8);
        model.train();   // as the trainer may leave it: the export and the comparisons below run in eval mode

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ids = OnnxExport.Save(model, temp.File("model.onnx"));
        var text = OnnxExport.Save(model, tokenizer, temp.File("model-text.onnx"));
        log.WriteLine($"{ids}\n  both exports took {watch.Elapsed.TotalSeconds:F1} s");
        model.eval();
        using var idsSession = Ort.Open(ids.Path);
        using var textSession = Ort.Open(text.Path);

        double batched = 0, single = 0, fromText = 0, largest = 0;
        int compared = 0, padded = 0;
        foreach (var chunk in held.Chunk(16))
        {
            using var scope = torch.NewDisposeScope();
            var encoded = chunk.Select(t => tokenizer.Encode(t)).ToArray();
            var (inputIds, mask, types) = BertProbe.Pad(encoded, tokenizer.PadTokenId);
            Tensor ours;
            using (torch.no_grad()) ours = model.forward(inputIds, mask, types).Logits;
            largest = Math.Max(largest, ours.abs().max().item<float>());
            batched = Math.Max(batched, Ort.MaxDifference(ours, Ort.RunBert(idsSession, inputIds, mask, types)["logits"]));
            fromText = Math.Max(fromText, Ort.MaxDifference(ours, Ort.RunTexts(textSession, chunk)["logits"]));
            for (int i = 0; i < chunk.Length; i++)
            {
                // One review alone: no padding in the graph's input, while ours came from the padded batch.
                var (one, oneMask, oneTypes) = BertProbe.Pad([encoded[i]], tokenizer.PadTokenId);
                single = Math.Max(single, Ort.MaxDifference(ours[i].unsqueeze(0), Ort.RunBert(idsSession, one, oneMask, oneTypes)["logits"]));
                padded += encoded[i].Count < inputIds.shape[1] ? 1 : 0;
                compared++;
            }
        }
        log.WriteLine($"{compared} held-out reviews ({padded} padded in their batch): largest logit difference {batched:E2} in batches, " +
                      $"{single:E2} one at a time, {fromText:E2} from the text graph; logits up to {largest:F2}");
        Assert.True(compared >= 200 && padded >= 100, $"{compared} reviews, {padded} padded");
        // Logits well away from a fresh classifier's (a few hundredths), where 1e-4 would say little.
        Assert.True(largest > 0.25, $"the logits are at most {largest:F3}");
        Assert.True(batched < Tolerance, $"padded batches: {batched:E2}");
        Assert.True(single < Tolerance, $"one at a time: {single:E2}");
        Assert.True(fromText < Tolerance, $"text graph: {fromText:E2}");
    }
}
