using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Onnx.Graph;

/// <summary>TorchSharp tensors and constants as ONNX <see cref="TensorProto"/>s (raw little-endian bytes, as ONNX stores them).</summary>
internal static class TensorProtos
{
    /// <summary>The ONNX element type of a TorchSharp dtype the exporter writes.</summary>
    /// <exception cref="NotSupportedException">The dtype has no ONNX type the exporter writes.</exception>
    public static TensorProto.Types.DataType TypeOf(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => TensorProto.Types.DataType.Float,
        ScalarType.Float16 => TensorProto.Types.DataType.Float16,
        ScalarType.Int64 => TensorProto.Types.DataType.Int64,
        _ => throw new NotSupportedException($"The exporter writes float32, float16 and int64 tensors, not {dtype}."),
    };

    /// <summary><paramref name="tensor"/> converted to <paramref name="dtype"/>, as an initializer named <paramref name="name"/>.</summary>
    public static TensorProto From(string name, Tensor tensor, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var data = tensor.detach().to(dtype).cpu().contiguous();
        var proto = new TensorProto { Name = name, DataType = (int)TypeOf(dtype) };
        proto.Dims.AddRange(data.shape);
        // ONNX raw_data is little-endian, as TorchSharp's memory is on every platform .NET runs on.
        proto.RawData = data.numel() == 0 ? ByteString.Empty : ByteString.CopyFrom(data.bytes);
        return proto;
    }

    /// <summary>An int64 tensor of <paramref name="shape"/> holding <paramref name="values"/>.</summary>
    public static TensorProto Int64(string name, long[] values, long[] shape)
    {
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Dims.AddRange(shape);
        proto.Int64Data.AddRange(values);
        return proto;
    }

    /// <summary>A 0-d float32 or float16 tensor holding <paramref name="value"/> rounded to that type.</summary>
    public static TensorProto Scalar(string name, double value, ScalarType dtype)
    {
        using var tensor = torch.tensor(value, dtype: ScalarType.Float64);
        return From(name, tensor, dtype);
    }
}
