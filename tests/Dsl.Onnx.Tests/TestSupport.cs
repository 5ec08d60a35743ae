using Dsl.Text.Modeling;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

// Seeded training and the export's promise not to draw from torch's generator are about one process-wide
// generator: test classes running at once would draw from it between a test's seed and its draws.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Dsl.Onnx.Tests;

/// <summary>A temporary folder deleted at the end of a test.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dsl-onnx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>The team's data beside the repository, when present.</summary>
public static class SharedData
{
    /// <summary><c>shared/data/{relative}</c> found by walking up from the test's folder, or null.</summary>
    public static string? Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "shared", "data", relative);
            if (System.IO.File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>A fact that is skipped, saying why, when <c>shared/data/{relative}</c> is absent.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(params string[] relative)
    {
        foreach (string path in relative)
            if (SharedData.Find(path) is null)
                Skip = $"shared/data/{path} is not present (the repository's sibling folder shared/ holds the real reviews and vocabulary).";
    }
}

/// <summary>Small BERTs whose every weight is random (biases and LayerNorms too), so a mis-wired weight shows.</summary>
public static class Berts
{
    public static BertConfig Config(int hidden = 32, int layers = 2, int heads = 4, string act = "gelu", double eps = 1e-12,
        int types = 2, int labels = 2, int vocab = 97, int positions = 24) => new()
    {
        VocabSize = vocab, HiddenSize = hidden, NumHiddenLayers = layers, NumAttentionHeads = heads, IntermediateSize = 2 * hidden + 3,
        HiddenAct = act, LayerNormEps = eps, TypeVocabSize = types, NumLabels = labels, MaxPositionEmbeddings = positions,
    };

    /// <summary>Every parameter redrawn from N(0, <paramref name="scale"/>), LayerNorm weights around 1.</summary>
    public static T Randomised<T>(T model, int seed, double scale = 0.3) where T : nn.Module
    {
        using var generator = new Generator((ulong)seed);
        using var noGrad = torch.no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            using var noise = torch.randn(parameter.shape, generator: generator) * scale;
            parameter.copy_(name.Contains("LayerNorm.weight") ? noise + 1 : noise);
        }
        model.eval();
        return model;
    }

    /// <summary>A batch of <paramref name="lengths"/> rows padded to the longest: random ids and token types, mask 1 on real tokens.</summary>
    public static (Tensor Ids, Tensor Mask, Tensor Types) Batch(BertConfig config, int[] lengths, int seed)
    {
        var random = new Random(seed);
        int width = lengths.Max();
        var ids = new long[lengths.Length, width];
        var mask = new long[lengths.Length, width];
        var types = new long[lengths.Length, width];
        for (int r = 0; r < lengths.Length; r++)
            for (int i = 0; i < lengths[r]; i++)
            {
                ids[r, i] = random.Next(config.VocabSize);
                mask[r, i] = 1;
                types[r, i] = random.Next(config.TypeVocabSize);
            }
        return (torch.tensor(ids), torch.tensor(mask), torch.tensor(types));
    }
}

/// <summary>Runs exported graphs in ONNX Runtime.</summary>
public static class Ort
{
    /// <summary>A session on <paramref name="path"/>, with ONNX Runtime Extensions' operators registered.</summary>
    public static InferenceSession Open(string path)
    {
        using var options = new SessionOptions();
        options.RegisterOrtExtensions();
        return new InferenceSession(path, options);
    }

    /// <summary>The graph's float32 outputs, by name, on int64 inputs.</summary>
    public static Dictionary<string, Tensor> Run(InferenceSession session, params (string Name, Tensor Value)[] inputs)
    {
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Value.data<long>().ToArray(), i.Value.shape)).ToArray();
        try
        {
            return Outputs(session, inputs.Select(i => i.Name).ToArray(), values);
        }
        finally
        {
            foreach (var value in values) value.Dispose();
        }
    }

    /// <summary>The graph's float32 outputs, by name, on a batch of strings.</summary>
    public static Dictionary<string, Tensor> RunTexts(InferenceSession session, IReadOnlyList<string> texts, string input = "text")
    {
        using var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, [texts.Count]);
        for (int i = 0; i < texts.Count; i++) value.StringTensorSetElementAt(texts[i].AsSpan(), i);
        return Outputs(session, [input], [value]);
    }

    /// <summary>The BERT graph's outputs on ids, mask and token types.</summary>
    public static Dictionary<string, Tensor> RunBert(InferenceSession session, Tensor ids, Tensor mask, Tensor types) =>
        Run(session, ("input_ids", ids), ("attention_mask", mask), ("token_type_ids", types));

    private static Dictionary<string, Tensor> Outputs(InferenceSession session, string[] names, OrtValue[] values)
    {
        var outputs = session.OutputMetadata.Keys.ToArray();
        using var options = new RunOptions();
        using var results = session.Run(options, names, values, outputs);
        var byName = new Dictionary<string, Tensor>();
        for (int i = 0; i < outputs.Length; i++)
        {
            var shape = results[i].GetTensorTypeAndShape().Shape;
            byName[outputs[i]] = torch.tensor(results[i].GetTensorDataAsSpan<float>().ToArray(), shape);
        }
        return byName;
    }

    /// <summary>The largest absolute difference between two tensors (as float32).</summary>
    public static double MaxDifference(Tensor a, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        Assert.Equal(a.shape, b.shape);
        return (a.cpu().to(ScalarType.Float32) - b.cpu().to(ScalarType.Float32)).abs().max().item<float>();
    }

    /// <summary>The file's ONNX model (OnnxSharp's reader).</summary>
    public static ModelProto Read(string path) => ModelProto.Parser.ParseFrom(System.IO.File.ReadAllBytes(path));
}
