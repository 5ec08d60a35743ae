namespace Dsl.Onnx;

/// <summary>The floating-point type an exported graph computes in.</summary>
public enum OnnxPrecision
{
    /// <summary>float32 weights and activations.</summary>
    Float32,

    /// <summary>
    /// float16 weights and activations: what the model computes after <c>model.to(ScalarType.Float16)</c>
    /// (LayerNorm statistics in float32, as libtorch and ONNX's <c>stash_type</c> keep them). Half the
    /// file. Inputs stay int64; outputs are widened to float32, which is exact.
    /// </summary>
    Float16,
}

/// <summary>How <see cref="OnnxExport"/> writes and checks a graph.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>
    /// The type the graph computes in. Null (the default): as the model computes now, from its
    /// weights' dtype (float32 or float16) and, for a <see cref="IMixedPrecisionModel"/>, its
    /// <see cref="IMixedPrecisionModel.ComputeDType"/> (float16 products on float16 copies of the weights,
    /// as under <c>Fp16</c>). Set, it overrides both; the model itself is left as it is.
    /// </summary>
    public OnnxPrecision? Precision { get; init; }

    /// <summary>
    /// Run the written graph in ONNX Runtime on a small batch (padding included) and compare every
    /// output with the model's own forward pass before keeping the file (default true). The graph is
    /// always loaded by ONNX Runtime, which checks it, whatever this says.
    /// </summary>
    public bool Verify { get; init; } = true;

    /// <summary>
    /// The largest difference <see cref="Verify"/> accepts, as |ours − ONNX Runtime's| ≤ t + t·|ours|.
    /// Null: 1e-4 for float32 graphs, 2e-2 for float16 ones (float16 keeps 11 significant bits, so
    /// one rounding is up to 4.9e-4 relative, and kernels that sum in another order differ by a few of those per layer).
    /// </summary>
    public double? Tolerance { get; init; }

    /// <summary>
    /// Store the weights in a file beside the graph (<c>PATH.data</c>, ONNX's external data) rather than
    /// inside it. Always done when they exceed 2 GiB, protobuf's limit for one message.
    /// </summary>
    public bool ExternalData { get; init; }

    /// <summary>Extra key/value pairs for the model's <c>metadata_props</c> (ONNX Runtime: <c>ModelMetadata.CustomMetadataMap</c>).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>A generic module's input name (BERT graphs use HF's names).</summary>
    public string InputName { get; init; } = "input";

    /// <summary>A generic module's output name (BERT graphs use HF's names).</summary>
    public string OutputName { get; init; } = "output";
}
