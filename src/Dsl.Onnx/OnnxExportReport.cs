using System.Text;

namespace Dsl.Onnx;

/// <summary>What <see cref="OnnxExport"/> wrote and how it checked it.</summary>
/// <param name="Path">The graph's file.</param>
/// <param name="DataPath">The weights' file when they are stored beside the graph, else null.</param>
/// <param name="Opset">The ONNX operator set the graph uses (<see cref="OnnxExport.Opset"/>).</param>
/// <param name="IrVersion">The ONNX IR version of the file (<see cref="OnnxExport.IrVersion"/>).</param>
/// <param name="Precision">The type the graph computes in.</param>
/// <param name="Inputs">Each input: name, element type and shape, e.g. <c>input_ids: int64 [batch_size, sequence_length]</c>.</param>
/// <param name="Outputs">Each output, as <paramref name="Inputs"/>.</param>
/// <param name="Parameters">Weights written (elements).</param>
/// <param name="Bytes">Size of the graph's file plus its data file.</param>
/// <param name="MaxDifference">The largest |ours − ONNX Runtime's| over every output of the check, or null when not verified.</param>
public sealed record OnnxExportReport(
    string Path, string? DataPath, int Opset, int IrVersion, string Precision,
    IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, long Parameters, long Bytes, double? MaxDifference)
{
    /// <summary>A few lines for a console.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"ONNX: {Path} ({Bytes / 1048576.0:F1} MiB{(DataPath is null ? "" : $" with {DataPath}")}), opset {Opset}, IR version {IrVersion}, {Precision}, {Parameters:N0} weights");
        text.Append($"\n  inputs:  {string.Join("; ", Inputs)}\n  outputs: {string.Join("; ", Outputs)}");
        text.Append(MaxDifference is { } d
            ? $"\n  loaded and run by ONNX Runtime: largest difference from the model {d:E2}"
            : "\n  loaded by ONNX Runtime (not compared with the model)");
        return text.ToString();
    }
}
