using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Tokenization;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Examples.Tests;

/// <summary>
/// Train in C#, ship with ONNX Runtime: examples/ImdbSentiment's --export-onnx, on the built-in corpus and
/// on the imported all-MiniLM-L6-v2 fine-tuned on real reviews (import → fine-tune → export → ONNX Runtime).
/// </summary>
public sealed class OnnxExportExampleTests(MiniLmFixture miniLm, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<MiniLmFixture>, IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly string _temp = Directory.CreateTempSubdirectory("dsl-onnx-example-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static InferenceSession Open(string path)
    {
        using var options = new SessionOptions();
        options.RegisterOrtExtensions();
        return new InferenceSession(path, options);
    }

    private static Tensor Run(InferenceSession session, params (string Name, OrtValue Value)[] inputs)
    {
        using var options = new RunOptions();
        using var results = session.Run(options, inputs.Select(i => i.Name).ToArray(), inputs.Select(i => i.Value).ToArray(), ["logits"]);
        foreach (var (_, value) in inputs) value.Dispose();
        return torch.tensor(results[0].GetTensorDataAsSpan<float>().ToArray(), results[0].GetTensorTypeAndShape().Shape);
    }

    private static Tensor RunIds(InferenceSession session, Tensor ids, Tensor mask, Tensor types) => Run(session,
        ("input_ids", OrtValue.CreateTensorValueFromMemory(ids.data<long>().ToArray(), ids.shape)),
        ("attention_mask", OrtValue.CreateTensorValueFromMemory(mask.data<long>().ToArray(), mask.shape)),
        ("token_type_ids", OrtValue.CreateTensorValueFromMemory(types.data<long>().ToArray(), types.shape)));

    private static Tensor RunTexts(InferenceSession session, IReadOnlyList<string> texts)
    {
        var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, [texts.Count]);
        for (int i = 0; i < texts.Count; i++) value.StringTensorSetElementAt(texts[i].AsSpan(), i);
        return Run(session, ("text", value));
    }

    private static (Tensor Ids, Tensor Mask, Tensor Types) Pad(IReadOnlyList<EncodedText> encoded, int pad)
    {
        int width = encoded.Max(e => e.Count);
        long[,] ids = new long[encoded.Count, width], mask = new long[encoded.Count, width], types = new long[encoded.Count, width];
        for (int r = 0; r < encoded.Count; r++)
            for (int i = 0; i < width; i++)
            {
                bool real = i < encoded[r].Count;
                ids[r, i] = real ? encoded[r].InputIds[i] : pad;
                mask[r, i] = real ? 1 : 0;
                types[r, i] = real ? encoded[r].TokenTypeIds[i] : 0;
            }
        return (torch.tensor(ids), torch.tensor(mask), torch.tensor(types));
    }

    // Ours (the saved model, reloaded) against both graphs: in padded batches, one text at a time, and from the raw strings.
    private (double Batched, double Single, double Text, int Padded) Compare(string folder, string graph, IReadOnlyList<string> texts, int maxLength)
    {
        using var model = BertForSequenceClassification.FromPretrained(folder);
        var tokenizer = BertTokenizer.FromPretrained(folder, new BertTokenizerOptions { MaxLength = maxLength });
        using var ids = Open(graph);
        using var text = Open(Path.ChangeExtension(graph, ".text.onnx"));
        double batched = 0, single = 0, fromText = 0;
        int padded = 0;
        foreach (var chunk in texts.Chunk(16))
        {
            using var scope = torch.NewDisposeScope();
            var encoded = chunk.Select(t => tokenizer.Encode(t)).ToArray();
            var (inputIds, mask, types) = Pad(encoded, tokenizer.PadTokenId);
            Tensor ours;
            using (torch.no_grad()) ours = model.forward(inputIds, mask, types).Logits;
            batched = Math.Max(batched, (ours - RunIds(ids, inputIds, mask, types)).abs().max().item<float>());
            fromText = Math.Max(fromText, (ours - RunTexts(text, chunk)).abs().max().item<float>());
            for (int i = 0; i < chunk.Length; i++)
            {
                var (one, oneMask, oneTypes) = Pad([encoded[i]], tokenizer.PadTokenId);
                single = Math.Max(single, (ours[i] - RunIds(ids, one, oneMask, oneTypes)[0]).abs().max().item<float>());
                padded += encoded[i].Count < inputIds.shape[1] ? 1 : 0;
            }
        }
        return (batched, single, fromText, padded);
    }

    [Fact]
    public void The_example_exports_the_model_it_trained_as_a_graph_of_ids_and_one_of_text()
    {
        string graph = Path.Combine(_temp, "onnx", "model.onnx");
        var (code, log) = Programs.Run("ImdbSentiment.dll", 600, "--train-size", "256", "--eval-size", "32", "--epochs", "1", "--no-progress",
            "--output", Path.Combine(_temp, "results"), "--logging-dir", Path.Combine(_temp, "logs"), "--export-onnx", graph);
        Assert.True(code == 0, log);
        Assert.Contains($"Exported to ONNX: {graph} and {Path.ChangeExtension(graph, ".text.onnx")}", log);
        using (var session = Open(graph))
            Assert.Contains("\"positive\"", session.ModelMetadata.CustomMetadataMap["config.json"]);
        var texts = ImdbSentiment.BuiltInCorpus.Generate(200, seed: 9).Select(e => e.Text).ToArray();
        var (batched, single, text, padded) = Compare(Path.Combine(_temp, "results", "model"), graph, texts, maxLength: 128);
        output.WriteLine($"built-in: {batched:E2} batched, {single:E2} alone, {text:E2} from text; {padded} of 200 padded");
        Assert.True(batched < Tolerance && single < Tolerance && text < Tolerance, $"{batched:E2}, {single:E2}, {text:E2}");
        Assert.True(padded > 50, $"{padded} padded");
    }

    [MiniLmDataFact("imdb/test.jsonl")]
    public void All_MiniLM_imported_fine_tuned_and_exported_gives_our_logits_in_ONNX_Runtime_on_200_test_reviews()
    {
        string data = Path.GetDirectoryName(SharedData.Find("imdb/test.jsonl")!)!;
        string graph = Path.Combine(_temp, "minilm.onnx");
        var (code, log) = Programs.Run("ImdbSentiment.dll", 900, "--model", miniLm.Folder, "--data", data, "--train-size", "32", "--eval-size", "16",
            "--epochs", "1", "--batch-size", "16", "--max-length", "64", "--no-progress",
            "--output", Path.Combine(_temp, "results"), "--logging-dir", Path.Combine(_temp, "logs"), "--export-onnx", graph);
        Assert.True(code == 0, log);
        output.WriteLine(string.Join('\n', log.Split('\n').Where(l => l.Contains("ONNX") || l.Contains("largest"))));
        // The test split: the example trained on 32 reviews of the train split.
        var reviews = TextDatasets.Load(Path.Combine(data, "test.jsonl")).Shuffle(3).Take(200).Select(e => e.Text).ToArray();
        var (batched, single, text, padded) = Compare(Path.Combine(_temp, "results", "model"), graph, reviews, maxLength: 64);
        output.WriteLine($"all-MiniLM-L6-v2: {batched:E2} batched, {single:E2} alone, {text:E2} from text; {padded} of 200 padded");
        Assert.True(batched < Tolerance && single < Tolerance && text < Tolerance, $"{batched:E2}, {single:E2}, {text:E2}");
    }
}
