using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dsl.Checkpoints;
using Dsl.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Adapters;

public sealed partial class LoraModel
{
    /// <summary>The adapter's weights (PEFT's <c>SAFETENSORS_WEIGHTS_NAME</c>).</summary>
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>The adapter's configuration (PEFT's <c>CONFIG_NAME</c>).</summary>
    public const string ConfigFile = "adapter_config.json";

    // PEFT's PeftModel wraps the model as base_model (LoraModel), whose .model is the original: every saved key starts so.
    private const string KeyPrefix = "base_model.model.";

    // safetensors metadata (PEFT writes {"format": "pt"}; other keys are ignored by PEFT and safetensors alike): a hash of
    // the first adapted layer's frozen base weight, so an adapter is not loaded onto another base of the same shapes.
    private const string FingerprintKey = "dsl_base_model";

    /// <summary>
    /// Loads an adapter folder written by <see cref="SaveAdapter"/> or by PEFT's <c>save_pretrained</c> onto
    /// <paramref name="model"/> (PEFT's <c>PeftModel.from_pretrained</c>). With <paramref name="isTrainable"/> false (PEFT's
    /// default) the adapter is frozen, to predict; true continues training it.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder lacks adapter_config.json or adapter_model.safetensors.</exception>
    /// <exception cref="InvalidDataException">The adapter does not fit the model (another base model, other shapes, targets it lacks); nothing is changed.</exception>
    public static LoraModel Load(nn.Module model, string directory, bool isTrainable = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(directory);
        var config = AdapterConfigJson.Read(Path.Combine(directory, ConfigFile));
        string weights = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{directory} holds no LoRA adapter: {WeightsFile} is missing.", weights);
        LoraModel lora;
        try
        {
            lora = Apply(model, config);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The adapter in {directory} does not fit {model.GetType().Name}: {e.Message}", e);
        }
        try
        {
            lora.LoadAdapter(directory);
        }
        catch
        {
            lora.Unload();
            throw;
        }
        if (!isTrainable) lora.Freeze();
        return lora;
    }

    /// <summary>
    /// Writes <c>adapter_model.safetensors</c> (what trains, under PEFT's keys:
    /// <c>base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight</c>, the modules to save under their own
    /// names, trained biases of adapted layers as <c>….base_layer.bias</c>) and <c>adapter_config.json</c> (PEFT's fields),
    /// which PEFT's <c>PeftModel.from_pretrained</c> reads.
    /// </summary>
    public void SaveAdapter(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        RequireApplied();
        Directory.CreateDirectory(directory);
        var state = Model.state_dict();
        var tensors = AdapterKeys(state).Select(k => new KeyValuePair<string, Tensor>(k.FileKey, state[k.Name]));
        var metadata = new Dictionary<string, string> { ["format"] = "pt", [FingerprintKey] = _fingerprint };
        // Written aside and renamed, as PretrainedFolder does: a reader never sees half a file.
        string weights = Path.Combine(directory, WeightsFile), temp = $"{weights}.{Environment.ProcessId}.tmp";
        SafeTensors.Save(tensors, temp, metadata);
        File.Move(temp, weights, overwrite: true);
        File.WriteAllText(Path.Combine(directory, ConfigFile), PythonJson.Serialize(AdapterConfigJson.Write(Config, WrittenTargets)) + "\n");
    }

    /// <inheritdoc/>
    public void LoadAdapter(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        RequireApplied();
        string path = Path.Combine(directory, WeightsFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory} holds no LoRA adapter: {WeightsFile} is missing.", path);
        string configPath = Path.Combine(directory, ConfigFile);
        if (File.Exists(configPath)) RequireSameFunction(AdapterConfigJson.Read(configPath), configPath);

        var (infos, metadata, _) = SafeTensors.ReadHeader(path);
        var state = Model.state_dict();
        var expected = AdapterKeys(state).ToDictionary(k => k.FileKey, k => k.Name, StringComparer.Ordinal);
        var inFile = infos.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var missing = expected.Keys.Where(k => !inFile.ContainsKey(k)).ToList();
        var unexpected = inFile.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException(
                $"{path} does not fit this adapter on {Model.GetType().Name}: missing {Describe(missing)}; unexpected {Describe(unexpected)}. " +
                "The adapter was made for another model or another LoraConfig (targets, modules to save, bias).");
        foreach (var (key, name) in expected)
            if (!state[name].shape.SequenceEqual(inFile[key].Shape))
                throw new InvalidDataException(
                    $"{path}: '{key}' has shape [{string.Join(", ", inFile[key].Shape)}] but this model's {name} has [{string.Join(", ", state[name].shape)}]: " +
                    "the adapter was made for a model of another size or with another rank.");
        // Shapes first (the more specific message), then the base weights themselves.
        if (metadata.TryGetValue(FingerprintKey, out string? fingerprint) && fingerprint != _fingerprint)
            throw new InvalidDataException(
                $"{path} was trained on another base model than this {Model.GetType().Name}: its base weight {Layers[0].Name}.weight differs " +
                "(compared by hash). Load the base model the adapter was trained on (its adapter_config.json names it in base_model_name_or_path).");

        var loaded = SafeTensors.Load(path);
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var (key, name) in expected) state[name].copy_(loaded[key]);
        }
        finally
        {
            foreach (var tensor in loaded.Values) tensor.Dispose();
        }
    }

    // Rank, alpha and rsLoRA make the function: weights saved under other ones would load and compute something else.
    private void RequireSameFunction(LoraConfig saved, string path)
    {
        if (saved.R != Config.R || saved.LoraAlpha != Config.LoraAlpha || saved.UseRslora != Config.UseRslora)
            throw new InvalidDataException(
                $"{path} has r {saved.R}, lora_alpha {saved.LoraAlpha.ToString(CultureInfo.InvariantCulture)}, use_rslora {saved.UseRslora}, but this adapter " +
                $"has r {Config.R}, lora_alpha {Config.LoraAlpha.ToString(CultureInfo.InvariantCulture)}, use_rslora {Config.UseRslora}: apply the same LoraConfig it was trained with.");
    }

    /// <summary>
    /// PEFT's <c>get_peft_model_state_dict</c>, as (key in the file, name in the model): the adapters' weights, each module
    /// to save whole (its own names: <c>ModulesToSaveWrapper.adapter_state_dict</c>), and the biases <see cref="LoraConfig.Bias"/>
    /// trains, an adapted layer's as <c>base_layer.bias</c> (<c>_get_learnable_bias_state_dict</c>).
    /// </summary>
    private IEnumerable<(string FileKey, string Name)> AdapterKeys(Dictionary<string, Tensor> state)
    {
        var adapted = Layers.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string name in state.Keys)
        {
            if (ModulesToSave.Any(m => name.StartsWith(m + ".", StringComparison.Ordinal)))
            {
                yield return (KeyPrefix + name, name);
                continue;
            }
            int dot = name.LastIndexOf('.');
            string owner = dot < 0 ? "" : name.Substring(0, dot), leaf = name.Substring(dot + 1);
            if (leaf == "weight" && (owner.EndsWith(".lora_A", StringComparison.Ordinal) || owner.EndsWith(".lora_B", StringComparison.Ordinal))
                && adapted.Contains(owner.Substring(0, owner.LastIndexOf('.'))))
            {
                yield return (KeyPrefix + name, name);
                continue;
            }
            if (leaf != "bias") continue;
            bool biasOfAdapted = adapted.Contains(owner);
            if (Config.Bias == LoraBias.All || (Config.Bias == LoraBias.LoraOnly && biasOfAdapted))
                yield return (KeyPrefix + (biasOfAdapted ? owner + ".base_layer.bias" : name), name);
        }
    }

    private static string Fingerprint(LoraLayer layer)
    {
        using var scope = torch.NewDisposeScope();
        var weight = layer.BaseLayer.weight.detach().to(ScalarType.Float32).cpu().contiguous();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{layer.Name}.weight[{string.Join(",", weight.shape)}]"));
        hash.AppendData(weight.bytes);
        return "sha256:" + Convert.ToHexString(hash.GetHashAndReset()).ToLower(CultureInfo.InvariantCulture);
    }

    private static string Describe(IReadOnlyList<string> names) =>
        names.Count == 0 ? "none" : string.Join(", ", names.Take(5)) + (names.Count > 5 ? $" and {names.Count - 5} more" : "");
}
