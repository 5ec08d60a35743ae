using System.Text.Json;
using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Pretrained;

/// <summary>
/// Loads a Hugging Face checkpoint folder's weights into a module by HF's rules: legacy
/// <c>gamma</c>/<c>beta</c> names, a base-model checkpoint into a model with a head (and back),
/// weights with no place reported rather than fatal, shapes and dtypes checked before anything is copied.
/// </summary>
internal static class PretrainedWeights
{
    public const string SafeTensorsFile = "model.safetensors";
    public const string SafeTensorsIndex = "model.safetensors.index.json";
    public const string PickleFile = "pytorch_model.bin";
    public const string PickleIndex = "pytorch_model.bin.index.json";
    private static readonly string[] OtherFormats = ["tf_model.h5", "flax_model.msgpack", "model.ckpt.index"];

    /// <summary>Copies the weights of <paramref name="directory"/> into <paramref name="model"/>, whose base model is named <paramref name="basePrefix"/>.</summary>
    public static LoadReport Load(nn.Module model, string directory, string basePrefix, PretrainedOptions options)
    {
        var (files, pickled, index) = WeightFiles(directory, options);
        var targets = model.state_dict();

        var loaded = new List<(string File, Dictionary<string, Tensor> Tensors)>();
        try
        {
            foreach (string file in files) loaded.Add((file, pickled ? Unpickle(file) : SafeTensors.Load(file)));
            if (index is not null) CheckShards(index.Value.Path, index.Value.WeightMap, loaded);
            var keys = loaded.SelectMany(l => l.Tensors.Keys).ToList();
            var renamed = new List<string>();
            var legacy = keys.ToDictionary(k => k, k => Legacy(k, renamed), StringComparer.Ordinal);
            string prefix = basePrefix + ".";
            bool hasPrefix = legacy.Values.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
            bool expectsPrefix = targets.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
            string Target(string key)
            {
                string name = legacy[key];
                // HF: a base-model checkpoint (no "bert." prefix) loads into a model with a head, and back.
                if (!hasPrefix && expectsPrefix) return prefix + name;
                if (hasPrefix && !expectsPrefix && name.StartsWith(prefix, StringComparison.Ordinal)) return name[prefix.Length..];
                return name;
            }

            var plan = new List<(Tensor Source, Tensor Target)>();
            var unexpected = new List<string>();
            var mismatched = new List<MismatchedWeight>();
            var filled = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (file, tensors) in loaded)
                foreach (var (key, source) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    string name = Target(key);
                    if (!targets.TryGetValue(name, out var target))
                    {
                        if (!IsUnsavedBuffer(name)) unexpected.Add(key);
                        continue;
                    }
                    if (!source.shape.SequenceEqual(target.shape))
                    {
                        if (!options.IgnoreMismatchedSizes)
                            throw new InvalidDataException(
                                $"{file}: '{key}' has shape {LoadReport.Shape(source.shape)} but {model.GetType().Name}'s '{name}' has {LoadReport.Shape(target.shape)}. " +
                                "Is config.json the one these weights were saved with? To start a new head of another size (e.g. another number of labels), " +
                                "set PretrainedOptions.IgnoreMismatchedSizes = true.");
                        mismatched.Add(new MismatchedWeight(name, source.shape, target.shape));
                        continue;
                    }
                    if (source.dtype != target.dtype && !(source.is_floating_point() && target.is_floating_point()))
                        throw new InvalidDataException(
                            $"{file}: '{key}' is {source.dtype} but {model.GetType().Name}'s '{name}' is {target.dtype}; only floating-point weights convert.");
                    plan.Add((source, target));
                    filled.Add(name);
                }

            using (torch.no_grad())
                foreach (var (source, target) in plan) target.copy_(source);

            var missing = targets.Keys.Where(k => !filled.Contains(k) && !mismatched.Any(m => m.Key == k)).Order(StringComparer.Ordinal).ToList();
            return new LoadReport(model.GetType().Name, directory, missing, unexpected, mismatched, renamed, plan.Count);
        }
        finally
        {
            foreach (var (_, tensors) in loaded)
                foreach (var t in tensors.Values) t.Dispose();
        }
    }

    // HF drops the model's non-persistent buffers from the unexpected keys: checkpoints saved by
    // transformers < 4.31 still hold embeddings.position_ids (and some embeddings.token_type_ids).
    private static bool IsUnsavedBuffer(string name) =>
        name.EndsWith("embeddings.position_ids", StringComparison.Ordinal) || name.EndsWith("embeddings.token_type_ids", StringComparison.Ordinal);

    // HF: TF-era checkpoints name LayerNorm's parameters gamma and beta.
    private static string Legacy(string key, List<string> renamed)
    {
        string name = key.EndsWith(".gamma", StringComparison.Ordinal) ? key[..^".gamma".Length] + ".weight"
            : key.EndsWith(".beta", StringComparison.Ordinal) ? key[..^".beta".Length] + ".bias"
            : key;
        if (name != key) renamed.Add(key);
        return name;
    }

    /// <summary>
    /// The weight files of a checkpoint folder (one file, or the shards its index lists), whether they
    /// are pickles, and the index's <c>weight_map</c> when sharded.
    /// </summary>
    private static (IReadOnlyList<string> Files, bool Pickled, (string Path, IReadOnlyDictionary<string, string> WeightMap)? Index) WeightFiles(
        string directory, PretrainedOptions options)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"No checkpoint folder at {directory}.");
        string single = Path.Combine(directory, SafeTensorsFile);
        if (File.Exists(single)) return ([single], false, null);
        string index = Path.Combine(directory, SafeTensorsIndex);
        if (File.Exists(index))
        {
            var map = WeightMap(index);
            return (Shards(index, map), false, (index, map));
        }

        if (File.Exists(Path.Combine(directory, PickleFile)) || File.Exists(Path.Combine(directory, PickleIndex)))
        {
            string pickleIndex = Path.Combine(directory, PickleIndex);
            if (options.AllowPickle)
                return File.Exists(Path.Combine(directory, PickleFile))
                    ? ([Path.Combine(directory, PickleFile)], true, null)
                    : (Shards(pickleIndex, WeightMap(pickleIndex)), true, null);
            throw new NotSupportedException(
                $"{directory} has {PickleFile} (a Python pickle) but no {SafeTensorsFile}. Pickles can run code when Python loads them, " +
                "so they are read only on request: set PretrainedOptions.AllowPickle = true if you trust the file. Better, convert the weights " +
                "to safetensors once, in Python (pip install torch safetensors), in that folder:\n" +
                "  python -c \"import torch; from safetensors.torch import save_file; " +
                "sd = torch.load('pytorch_model.bin', map_location='cpu', weights_only=True); " +
                "save_file({k: v.contiguous() for k, v in sd.items()}, 'model.safetensors', metadata={'format': 'pt'})\"\n" +
                "or with transformers: AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True).");
        }
        string? other = OtherFormats.FirstOrDefault(f => File.Exists(Path.Combine(directory, f)));
        throw new FileNotFoundException(
            other is not null
                ? $"{directory} has {other} but no {SafeTensorsFile}; only safetensors (and, on request, PyTorch pickles) are read. Save the model with transformers' save_pretrained(dir, safe_serialization=True)."
                : $"{directory} has no {SafeTensorsFile} (or {SafeTensorsIndex}). Files there: {string.Join(", ", Directory.EnumerateFiles(directory).Select(Path.GetFileName).Order())}.",
            single);
    }

    // Only with AllowPickle: TorchSharp.PyBridge reads torch.save's zip format without running Python.
    private static Dictionary<string, Tensor> Unpickle(string file)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (System.Collections.DictionaryEntry entry in TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(file))
                if (entry.Key is string key && entry.Value is Tensor tensor) tensors[key] = tensor;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw new InvalidDataException($"{file}: not a PyTorch state dict that can be read ({e.Message}).", e);
        }
        return tensors;
    }

    /// <summary>HF's <c>{model}.index.json</c>: <c>weight_map</c> from each weight's name to the shard file that holds it.</summary>
    internal static Dictionary<string, string> WeightMap(string index)
    {
        try
        {
            var map = JsonNode.Parse(File.ReadAllText(index))?["weight_map"]?.AsObject()
                ?? throw new InvalidDataException($"{index}: no 'weight_map' object.");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in map)
            {
                string file = value?.GetValue<string>() ?? throw new InvalidDataException($"{index}: weight_map['{key}'] is null, not a file name.");
                // A shard is a file beside the index, never a path that leaves the folder.
                if (file.Length == 0 || Path.GetFileName(file) != file || file is "." or "..")
                    throw new InvalidDataException($"{index}: weight_map['{key}'] is '{file}', not a file name in the same folder.");
                result[key] = file;
            }
            if (result.Count == 0) throw new InvalidDataException($"{index}: 'weight_map' is empty.");
            return result;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{index}: not a safetensors index ({e.Message}).", e);
        }
    }

    private static IReadOnlyList<string> Shards(string index, IReadOnlyDictionary<string, string> weightMap)
    {
        string dir = Path.GetDirectoryName(index)!;
        var shards = weightMap.Values.Distinct().Order(StringComparer.Ordinal).Select(f => Path.Combine(dir, f)).ToList();
        foreach (string shard in shards)
            if (!File.Exists(shard)) throw new FileNotFoundException($"{index} lists {Path.GetFileName(shard)}, which is not in {dir}.", shard);
        return shards;
    }

    /// <summary>Every weight the index names is in the shard it names, and no shard holds a weight the index does not place there.</summary>
    private static void CheckShards(string index, IReadOnlyDictionary<string, string> weightMap,
        List<(string File, Dictionary<string, Tensor> Tensors)> loaded)
    {
        var byFile = loaded.ToDictionary(l => Path.GetFileName(l.File), l => l.Tensors, StringComparer.Ordinal);
        foreach (var (key, file) in weightMap)
            if (!byFile[file].ContainsKey(key))
                throw new InvalidDataException($"{index} places '{key}' in {file}, which does not hold it: is the download complete?");
        foreach (var (file, tensors) in byFile)
            foreach (string key in tensors.Keys)
                if (!weightMap.TryGetValue(key, out string? listed) || listed != file)
                    throw new InvalidDataException(
                        $"{Path.Combine(Path.GetDirectoryName(index)!, file)} holds '{key}', which {Path.GetFileName(index)} " +
                        (listed is null ? "does not list." : $"places in {listed}."));
    }
}
