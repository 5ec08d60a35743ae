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
        // ReadHeader checked that the shape fits the byte span, and the span the file, so this
        // allocation is never larger than the file.
        var tensor = torch.empty(info.Shape, dtype);
        stream.Position = dataStart + info.Begin;
        if (info.End > info.Begin) stream.ReadExactly(tensor.bytes);
        if (device is null || device.type == DeviceType.CPU) return tensor;
        var moved = tensor.to(device);
        tensor.Dispose();
        return moved;
    }

    // Bytes per element of every safetensors dtype (the reference reader's Dtype::size).
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4, ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

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

        long dataStart = 8 + (long)headerLength;
        long dataLength = stream.Length - dataStart;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var infos = new List<SafeTensorInfo>();
        string? current = null;
        try
        {
            var header = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{path}: the header is not a JSON object.");
            foreach (var (name, node) in header)
            {
                current = name;
                if (name == "__metadata__") ReadMetadata(node, metadata, path);
                else infos.Add(ReadEntry(name, node, dataLength, path));
            }
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            // ArgumentException: a name that occurs twice.
            throw new InvalidDataException($"{path}: the header is not valid JSON ({e.Message}).", e);
        }
        catch (Exception e) when (e is InvalidCastException or NullReferenceException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{path}: the header entry for '{current}' needs a dtype string, a shape of integers and two integer data_offsets ({e.Message}).", e);
        }
        CheckTiling(infos, dataLength, path);
        return (infos, metadata, dataStart);
    }

    private static void ReadMetadata(JsonNode? node, Dictionary<string, string> metadata, string path)
    {
        if (node is null) return;
        if (node is not JsonObject meta)
            throw new InvalidDataException($"{path}: __metadata__ must be an object of strings, found {node.GetValueKind()}.");
        foreach (var (key, value) in meta)
            metadata[key] = value is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? v.GetValue<string>()
                : throw new InvalidDataException(
                    $"{path}: __metadata__ '{key}' is {value?.ToJsonString() ?? "null"}; safetensors metadata values must be strings.");
    }

    private static SafeTensorInfo ReadEntry(string name, JsonNode? node, long dataLength, string path)
    {
        var entry = (JsonObject)node!;
        string dtype = entry["dtype"]!.GetValue<string>();
        long[] shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
        var offsets = entry["data_offsets"]!.AsArray();
        if (offsets.Count != 2)
            throw new InvalidDataException($"{path}: '{name}' has {offsets.Count} data_offsets, expected [begin, end].");
        long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
        if (begin < 0 || end < begin || end > dataLength)
            throw new InvalidDataException($"{path}: '{name}' has data_offsets [{begin}, {end}] outside the data ({dataLength} bytes).");
        if (!ElementSizes.TryGetValue(dtype, out int elementSize))
            throw new InvalidDataException($"{path}: '{name}' has dtype '{dtype}', which is not a safetensors dtype.");
        // The reference reader: elements × dtype size must equal the span, with overflow checked.
        long bytes = elementSize;
        foreach (long d in shape)
        {
            if (d < 0) throw new InvalidDataException($"{path}: '{name}' has a negative dimension in shape [{string.Join(", ", shape)}].");
            if (d != 0 && bytes > long.MaxValue / d)
                throw new InvalidDataException($"{path}: '{name}' has shape [{string.Join(", ", shape)}], too large for any file.");
            bytes *= d;
        }
        if (bytes != end - begin)
            throw new InvalidDataException(
                $"{path}: '{name}' spans {end - begin} bytes but {dtype}[{string.Join(", ", shape)}] needs {bytes}.");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    // The reference reader: sorted by offset, the tensors tile the data exactly, from 0 to its end,
    // with no gap, overlap or trailing bytes.
    private static void CheckTiling(List<SafeTensorInfo> infos, long dataLength, string path)
    {
        var sorted = infos.OrderBy(i => i.Begin).ThenBy(i => i.End).ToList();
        long expected = 0;
        foreach (var info in sorted)
        {
            if (info.Begin != expected)
                throw new InvalidDataException(info.Begin < expected
                    ? $"{path}: '{info.Name}' at data_offsets [{info.Begin}, {info.End}] overlaps the tensor before it (which ends at {expected}); the file is damaged or crafted."
                    : $"{path}: '{info.Name}' starts at {info.Begin} but the tensor before it ends at {expected}; the data has a gap.");
            expected = info.End;
        }
        if (expected != dataLength)
            throw new InvalidDataException(
                $"{path}: the tensors end at byte {expected} of the data but the file holds {dataLength}: {dataLength - expected} bytes follow the last tensor (damaged or appended to).");
    }
}
