using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Writing;

/// <summary>Moves tensors between TorchSharp and ONNX Runtime, and compares the model's outputs with the graph's.</summary>
internal static class OrtValues
{
    /// <summary>An ONNX Runtime tensor holding a copy of <paramref name="tensor"/> (float32, float16 or int64).</summary>
    public static OrtValue From(Tensor tensor)
    {
        var type = tensor.dtype switch
        {
            ScalarType.Float32 => TensorElementType.Float,
            ScalarType.Float16 => TensorElementType.Float16,
            ScalarType.Int64 => TensorElementType.Int64,
            var other => throw new NotSupportedException($"An input of {other} cannot be passed to the graph; use float32, float16 or int64."),
        };
        using var cpu = tensor.detach().cpu().contiguous();
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, cpu.shape);
        cpu.bytes.CopyTo(value.GetTensorMutableRawData());
        return value;
    }

    /// <summary>An ONNX Runtime string tensor [texts.Count].</summary>
    public static OrtValue Strings(IReadOnlyList<string> texts)
    {
        var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, [texts.Count]);
        for (int i = 0; i < texts.Count; i++) value.StringTensorSetElementAt(texts[i].AsSpan(), i);
        return value;
    }

    /// <summary>A float32 output as a TorchSharp tensor.</summary>
    public static Tensor ToTensor(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        if (info.ElementDataType != TensorElementType.Float)
            throw new InvalidOperationException($"Expected a float32 output, got {info.ElementDataType}.");
        return torch.tensor(value.GetTensorDataAsSpan<float>().ToArray(), info.Shape);
    }

    /// <summary>Runs <paramref name="session"/> and returns every output, by name, as float32 tensors.</summary>
    public static Dictionary<string, Tensor> Run(InferenceSession session, IReadOnlyDictionary<string, OrtValue> inputs)
    {
        var names = session.OutputMetadata.Keys.ToArray();
        using var options = new RunOptions();
        using var results = session.Run(options, inputs.Keys.ToArray(), inputs.Values.ToArray(), names);
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < names.Length; i++) outputs[names[i]] = ToTensor(results[i]);
        return outputs;
    }

    /// <summary>
    /// The largest |ours − theirs| over every output; throws, naming the output, where one exceeds
    /// <paramref name="tolerance"/> + <paramref name="tolerance"/>·|ours|.
    /// </summary>
    /// <exception cref="InvalidOperationException">An output is missing, has another shape, or differs.</exception>
    public static double Compare(IReadOnlyDictionary<string, Tensor> ours, IReadOnlyDictionary<string, Tensor> theirs, double tolerance)
    {
        double worst = 0;
        foreach (var (name, expected) in ours)
        {
            using var scope = torch.NewDisposeScope();
            if (!theirs.TryGetValue(name, out var actual))
                throw new InvalidOperationException($"The exported graph has no output '{name}'.");
            var reference = expected.detach().cpu().to(ScalarType.Float32);
            if (!reference.shape.SequenceEqual(actual.shape))
                throw new InvalidOperationException(
                    $"The exported graph's '{name}' has shape [{string.Join(", ", actual.shape)}], the model's [{string.Join(", ", reference.shape)}].");
            var difference = (reference - actual).abs();
            double largest = reference.numel() == 0 ? 0 : difference.max().item<float>();
            bool outside = (difference > tolerance + tolerance * reference.abs()).any().item<bool>() || double.IsNaN(largest);
            if (outside)
                throw new InvalidOperationException(
                    $"The exported graph's '{name}' differs from the model's by up to {largest:E2} (tolerance {tolerance:E1} + {tolerance:E1}·|value|) " +
                    "on a check batch, so it was not written. For a graph that tokenises, compare its tokenizer alone first " +
                    "(OnnxExport.SaveTokenizer); otherwise report this with the model's config.json.");
            worst = Math.Max(worst, largest);
        }
        return worst;
    }
}
