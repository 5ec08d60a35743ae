using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The tensor's name, e.g. <c>bert.pooler.dense.weight</c>.</param>
/// <param name="DType">The safetensors dtype, e.g. <c>F32</c>.</param>
/// <param name="Shape">The shape.</param>
/// <param name="Begin">Start of its bytes, relative to the data section.</param>
/// <param name="End">End of its bytes (exclusive).</param>
public sealed record SafeTensorInfo(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>
/// Reads and writes the safetensors format Hugging Face uses for <c>model.safetensors</c>: an 8-byte
/// little-endian header length, a JSON header (<c>dtype</c>, <c>shape</c>, <c>data_offsets</c>,
/// optional <c>__metadata__</c>), then the raw little-endian tensor bytes. No code runs on load.
/// </summary>
public static class SafeTensors
{
    private static readonly Dictionary<ScalarType, string> DTypeNames = new()
    {
        [ScalarType.Float64] = "F64", [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16",
        [ScalarType.BFloat16] = "BF16", [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32",
        [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8", [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    private static readonly Dictionary<string, ScalarType> DTypes =
        DTypeNames.ToDictionary(kv => kv.Value, kv => kv.Key);

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>, sorted by name.</summary>
    public static void Save(IEnumerable<KeyValuePair<string, Tensor>> tensors, string path,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is not null)
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata) meta[key] = value;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var (name, tensor) in entries)
        {
            if (!DTypeNames.TryGetValue(tensor.dtype, out string? dtype))
                throw new NotSupportedException($"Tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot hold.");
            long size = tensor.NumberOfElements * tensor.ElementSize;
            var shape = new JsonArray();
            foreach (long d in tensor.shape) shape.Add(d);
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = shape,
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }

        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8; // HF pads the header with spaces to 8 bytes
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(json);
        for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var (_, tensor) in entries)
        {
            using var scope = torch.NewDisposeScope();
            var cpu = tensor.detach().cpu().contiguous();
            stream.Write(cpu.bytes);
        }
    }

    /// <summary>Writes the state dict of <paramref name="module"/> (parameters and buffers).</summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(module.state_dict(), path, metadata ?? new Dictionary<string, string> { ["format"] = "pt" });

    /// <summary>Reads the header: every tensor's name, dtype, shape and place, and the metadata.</summary>
    /// <exception cref="InvalidDataException">The file is not safetensors; the message says what is wrong.</exception>
    public static (IReadOnlyList<SafeTensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata, long DataStart) ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path);
    }

    /// <summary>Reads every tensor onto <paramref name="device"/>. The caller disposes them.</summary>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null)
    {
        using var stream = File.OpenRead(path);
        var (infos, _, dataStart) = ReadHeader(stream, path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in infos) result[info.Name] = ReadTensor(stream, path, dataStart, info, device);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>
    /// Copies the tensors of <paramref name="path"/> into <paramref name="module"/>'s parameters and
    /// buffers by name. Returns the names the module has but the file lacks, and the reverse. Every
    /// shape and dtype is checked before anything is copied, so a mismatch leaves the module as it was.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor's shape or dtype differs from the module's; the message names it.</exception>
    public static (IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected) LoadInto(nn.Module module, string path,
        Func<string, string>? rename = null)
    {
        using var stream = File.OpenRead(path);
        var (infos, _, dataStart) = ReadHeader(stream, path);
        var targets = module.state_dict();
        var missing = new HashSet<string>(targets.Keys, StringComparer.Ordinal);
        var unexpected = new List<string>();
        var matched = new List<(SafeTensorInfo Info, Tensor Target)>();
        foreach (var info in infos)
        {
            string name = rename?.Invoke(info.Name) ?? info.Name;
            if (!targets.TryGetValue(name, out var target)) { unexpected.Add(info.Name); continue; }
            if (!target.shape.SequenceEqual(info.Shape))
                throw new InvalidDataException(
                    $"{path}: '{info.Name}' has shape [{string.Join(", ", info.Shape)}] but the model's '{name}' has [{string.Join(", ", target.shape)}].");
            if (!DTypes.TryGetValue(info.DType, out var dtype))
                throw new InvalidDataException($"{path}: '{info.Name}' has dtype {info.DType}, which is not supported.");
            // Floating-point weights convert to the model's precision, as HF's from_pretrained does.
            if (dtype != target.dtype && !(torch.is_floating_point(dtype) && torch.is_floating_point(target.dtype)))
                throw new InvalidDataException($"{path}: '{info.Name}' is {info.DType} but the model's '{name}' is {target.dtype}.");
            matched.Add((info, target));
            missing.Remove(name);
        }

        using var noGrad = torch.no_grad();
        foreach (var (info, target) in matched)
        {
            using var loaded = ReadTensor(stream, path, dataStart, info, null);
            target.copy_(loaded);
        }
        return (missing.Order(StringComparer.Ordinal).ToList(), unexpected);
    }

    private static Tensor ReadTensor(FileStream stream, string path, long dataStart, SafeTensorInfo info, Device? device)
    {
        if (!DTypes.TryGetValue(info.DType, out var dtype))
            throw new InvalidDataException($"{path}: '{info.Name}' has dtype {info.DType}, which is not supported.");
        var tensor = torch.empty(info.Shape, dtype);
        long expected = tensor.NumberOfElements * tensor.ElementSize;
        if (info.End - info.Begin != expected)
        {
            tensor.Dispose();
            throw new InvalidDataException(
                $"{path}: '{info.Name}' spans {info.End - info.Begin} bytes but {info.DType}[{string.Join(", ", info.Shape)}] needs {expected}.");
        }
        stream.Position = dataStart + info.Begin;
        if (expected > 0) stream.ReadExactly(tensor.bytes);
        if (device is null || device.type == DeviceType.CPU) return tensor;
        var moved = tensor.to(device);
        tensor.Dispose();
        return moved;
    }

    private static (IReadOnlyList<SafeTensorInfo>, IReadOnlyDictionary<string, string>, long) ReadHeader(Stream stream, string path)
    {
        Span<byte> prefix = stackalloc byte[8];
        if (stream.Length < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw new InvalidDataException($"{path}: too short to be a safetensors file.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > 100_000_000 || (long)headerLength > stream.Length - 8)
            throw new InvalidDataException($"{path}: header length {headerLength} does not fit the file ({stream.Length} bytes); not a safetensors file?");
        var json = new byte[headerLength];
        stream.ReadExactly(json);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{path}: the header is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the header is not valid JSON ({e.Message}).", e);
        }

        long dataStart = 8 + (long)headerLength;
        long dataLength = stream.Length - dataStart;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var infos = new List<SafeTensorInfo>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject meta)
                    foreach (var (k, v) in meta) metadata[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            try
            {
                var entry = (JsonObject)node!;
                string dtype = entry["dtype"]!.GetValue<string>();
                long[] shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var offsets = entry["data_offsets"]!.AsArray();
                long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
                if (begin < 0 || end < begin || end > dataLength)
                    throw new InvalidDataException($"{path}: '{name}' has data_offsets [{begin}, {end}] outside the data ({dataLength} bytes).");
                infos.Add(new SafeTensorInfo(name, dtype, shape, begin, end));
            }
            catch (Exception e) when (e is InvalidCastException or NullReferenceException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}: the header entry for '{name}' needs dtype, shape and data_offsets.", e);
            }
        }
        return (infos, metadata, dataStart);
    }
}
