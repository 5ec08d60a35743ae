using System.Text.Json.Nodes;
using Dsl.Adapters;
using Dsl.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Checkpoints;

public static partial class Checkpoint
{
    /// <summary>
    /// Writes the model's part of a checkpoint into <paramref name="folder"/>. A model with an adapter (it implements
    /// <see cref="IAdapterModel"/>, or <see cref="LoraModel.Apply"/> put one on it) writes only what trains, as HF
    /// Trainer's checkpoints of a PEFT model hold only <c>adapter_model.safetensors</c> and <c>adapter_config.json</c>;
    /// any other writes <c>model.safetensors</c> and <c>config.json</c>.
    /// </summary>
    public static void SaveWeights(nn.Module model, string folder)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (AdapterOf(model) is { } adapter)
        {
            adapter.SaveAdapter(folder);
            return;
        }
        SafeTensors.Save(model, Path.Combine(folder, ModelFile));
        File.WriteAllText(Path.Combine(folder, ConfigFile), PythonJson.Serialize(ConfigOf(model)) + "\n");
    }

    /// <summary>
    /// Loads what <see cref="SaveWeights"/> wrote in <paramref name="checkpointDir"/> into <paramref name="model"/>: the
    /// adapter of a model with one, else <c>model.safetensors</c>, where every weight must be there.
    /// </summary>
    public static void LoadModel(nn.Module model, string checkpointDir)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (AdapterOf(model) is { } adapter)
        {
            adapter.LoadAdapter(checkpointDir);
            return;
        }
        string path = Path.Combine(checkpointDir, ModelFile);
        if (!File.Exists(path))
            throw new FileNotFoundException(File.Exists(Path.Combine(checkpointDir, LoraModel.WeightsFile))
                ? $"The checkpoint {checkpointDir} holds a LoRA adapter, not a whole model: apply the same LoraConfig to the base model (LoraModel.Apply) before resuming from it."
                : $"The checkpoint {checkpointDir} has no {ModelFile}.", path);
        var (missing, unexpected) = SafeTensors.LoadInto(model, path);
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException(
                $"{path} does not match the model: missing {Describe(missing)}; unexpected {Describe(unexpected)}.");
    }

    // The one place checkpoints ask whether a model trains through an adapter.
    private static IAdapterModel? AdapterOf(nn.Module model) => model as IAdapterModel ?? LoraModel.Find(model);

    private static JsonObject ConfigOf(nn.Module model) => model is IModelConfig configured
        ? configured.ToConfigJson()
        : new JsonObject
        {
            ["architectures"] = new JsonArray(model.GetType().Name),
            ["torch_dtype"] = "float32",
            ["dsl_version"] = typeof(Checkpoint).Assembly.GetName().Version?.ToString(3),
        };

    private static string Describe(IReadOnlyList<string> names) =>
        names.Count == 0 ? "none" : string.Join(", ", names.Take(10)) + (names.Count > 10 ? $" and {names.Count - 10} more" : "");
}
