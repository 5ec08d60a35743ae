using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Data;

/// <summary>
/// Builds batch tensors for <see cref="IBatch{TSelf, TExample}.Collate"/>. <c>torch.tensor(array)</c>
/// wraps the .NET array where it lies, so its alignment varies from call to call, and vectorised
/// kernels can then round differently in the last bit: runs with the same seed stop being
/// bit-identical. These copy into memory from libtorch's own (aligned) allocator instead.
/// </summary>
public static class Collation
{
    /// <summary>A float32 tensor of <paramref name="shape"/> holding <paramref name="values"/>, on <paramref name="device"/>.</summary>
    public static Tensor Float32(ReadOnlySpan<float> values, ReadOnlySpan<long> shape, Device? device = null) =>
        Create(MemoryMarshal.AsBytes(values), values.Length, shape, ScalarType.Float32, device);

    /// <summary>An int64 tensor of <paramref name="shape"/> holding <paramref name="values"/>, on <paramref name="device"/>.</summary>
    public static Tensor Int64(ReadOnlySpan<long> values, ReadOnlySpan<long> shape, Device? device = null) =>
        Create(MemoryMarshal.AsBytes(values), values.Length, shape, ScalarType.Int64, device);

    /// <summary>An int32 tensor of <paramref name="shape"/> holding <paramref name="values"/>, on <paramref name="device"/>.</summary>
    public static Tensor Int32(ReadOnlySpan<int> values, ReadOnlySpan<long> shape, Device? device = null) =>
        Create(MemoryMarshal.AsBytes(values), values.Length, shape, ScalarType.Int32, device);

    private static Tensor Create(ReadOnlySpan<byte> bytes, int count, ReadOnlySpan<long> shape, ScalarType dtype, Device? device)
    {
        long expected = 1;
        foreach (long d in shape) expected *= d;
        if (expected != count)
            throw new ArgumentException($"{count} values do not fill a tensor of shape [{string.Join(", ", shape.ToArray())}] ({expected} values).", nameof(shape));
        var cpu = torch.empty(shape.ToArray(), dtype);
        if (count > 0) bytes.CopyTo(cpu.bytes);
        if (device is null || device.type == DeviceType.CPU) return cpu;
        var moved = cpu.to(device);
        cpu.Dispose();
        return moved;
    }
}
