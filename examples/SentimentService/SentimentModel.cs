using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace SentimentService;

/// <summary>
/// A text classifier exported by Dsl.Onnx with its tokenizer inside (<c>model.text.onnx</c>: input
/// <c>text</c>, string [batch]; output <c>logits</c>, float32 [batch, labels]), run by ONNX Runtime with
/// the Extensions' operators. Label names and the problem type come from the <c>config.json</c> the
/// exporter stores in the graph's metadata. Thread-safe: ONNX Runtime runs one session concurrently.
/// </summary>
public sealed class SentimentModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _problem;

    private SentimentModel(InferenceSession session, string path, string[] labels, string problem, int maxLength)
    {
        _session = session;
        Path = path;
        Labels = labels;
        _problem = problem;
        MaxLength = maxLength;
    }

    /// <summary>The graph's file.</summary>
    public string Path { get; }

    /// <summary>Label names by index (<c>id2label</c>).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Tokens per text after truncation, as the graph records it.</summary>
    public int MaxLength { get; }

    /// <summary>Loads and checks the graph.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a text classifier exported by Dsl.Onnx; the message says what is wrong.</exception>
    public static SentimentModel Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"No model at {System.IO.Path.GetFullPath(path)}. Export one with: dotnet run --project examples/ImdbSentiment -- --export-onnx model.onnx (it writes model.text.onnx).", path);
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions();
        options.RegisterOrtExtensions();
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: ONNX Runtime cannot load it ({e.Message}).", e);
        }
        try
        {
            if (!session.InputMetadata.TryGetValue("text", out var input) || input.ElementDataType != TensorElementType.String)
                throw new InvalidDataException(session.InputMetadata.ContainsKey("input_ids")
                    ? $"{path} takes token ids; this service needs the graph that tokenises, which --export-onnx writes beside it as *.text.onnx."
                    : $"{path} has no 'text' input of strings; it is not a text classifier exported by Dsl.Onnx.");
            if (!session.OutputMetadata.ContainsKey("logits"))
                throw new InvalidDataException($"{path} has no 'logits' output.");
            var metadata = session.ModelMetadata.CustomMetadataMap;
            if (!metadata.TryGetValue("config.json", out string? configText) || JsonNode.Parse(configText) is not JsonObject config)
                throw new InvalidDataException($"{path} has no config.json in its metadata; export it with Dsl.Onnx.");
            int count = (int?)config["id2label"]?.AsObject().Count ?? 0;
            var labels = Enumerable.Range(0, count).Select(i => (string?)config["id2label"]![i.ToString(System.Globalization.CultureInfo.InvariantCulture)] ?? $"LABEL_{i}").ToArray();
            string problem = (string?)config["problem_type"] ?? (count == 1 ? "regression" : "single_label_classification");
            int maxLength = metadata.TryGetValue("max_length", out string? max) ? int.Parse(max, System.Globalization.CultureInfo.InvariantCulture) : 0;
            return new SentimentModel(session, path, labels, problem, maxLength);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The prediction for each text: the label and each label's probability (regression: the value).</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts)
    {
        using var input = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, [texts.Count]);
        for (int i = 0; i < texts.Count; i++) input.StringTensorSetElementAt(texts[i].AsSpan(), i);
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, ["text"], [input], ["logits"]);
        var logits = results[0].GetTensorDataAsSpan<float>();
        int width = logits.Length / texts.Count;
        var predictions = new Prediction[texts.Count];
        for (int i = 0; i < texts.Count; i++) predictions[i] = ToPrediction(logits.Slice(i * width, width));
        return predictions;
    }

    // HF's problem types: softmax over single-label logits, a sigmoid per label for multi-label, the value for regression.
    private Prediction ToPrediction(ReadOnlySpan<float> logits)
    {
        if (_problem == "regression") return new Prediction(null, null, logits[0]);
        var probabilities = new Dictionary<string, double>(logits.Length);
        if (_problem == "multi_label_classification")
        {
            for (int i = 0; i < logits.Length; i++) probabilities[Labels[i]] = 1 / (1 + Math.Exp(-logits[i]));
            return new Prediction(string.Join(",", probabilities.Where(p => p.Value >= 0.5).Select(p => p.Key)), probabilities, null);
        }
        double max = double.NegativeInfinity, sum = 0;
        foreach (float l in logits) max = Math.Max(max, l);
        foreach (float l in logits) sum += Math.Exp(l - max);
        int best = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            probabilities[Labels[i]] = Math.Exp(logits[i] - max) / sum;
            if (logits[i] > logits[best]) best = i;
        }
        return new Prediction(Labels[best], probabilities, null);
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}

/// <summary>One text's prediction: the label and the probability of each label, or a regression's value.</summary>
public sealed record Prediction(string? Label, IReadOnlyDictionary<string, double>? Probabilities, double? Value);
