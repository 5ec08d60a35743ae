using System.Text.Json.Nodes;
using Dsl.Checkpoints;
using Dsl.Logging;
using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Pretrained;

/// <summary>The steps <c>FromPretrained</c> and <c>SavePretrained</c> share between BERT models.</summary>
internal static class PretrainedFolder
{
    /// <summary>The configuration to build: <see cref="PretrainedOptions.Config"/> or the folder's <c>config.json</c>, with the label overrides applied.</summary>
    public static BertConfig Config(string directory, PretrainedOptions options)
    {
        var config = options.Config ?? BertConfig.Load(Path.Combine(directory, BertConfig.FileName));
        if (options.Id2Label is { } names)
            config = config with { Id2Label = names, Label2Id = null, NumLabels = names.Count };
        else if (options.NumLabels is int n && n != config.NumLabels)
            config = config with { NumLabels = n, Id2Label = null, Label2Id = null };
        if (options.AttnImplementation is { } attention) config = config with { AttnImplementation = attention };
        if (!options.IgnoreMismatchedSizes) WeightsHeaderCheck.Check(config, directory);
        return config;
    }

    /// <summary>Loads the weights into <paramref name="model"/>, reports, and leaves it in eval mode (as HF does) on the requested device.</summary>
    public static LoadReport Load(nn.Module model, string directory, PretrainedOptions options)
    {
        LoadReport report;
        try
        {
            report = PretrainedWeights.Load(model, directory, "bert", options);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        if (options.Log is { } log)
            foreach (string warning in report.Warnings) log.WriteLine(warning);
        model.eval();
        if (options.Device is { } device) model.to(device);
        return report;
    }

    /// <summary>Writes <c>config.json</c> and <c>model.safetensors</c> into <paramref name="directory"/> (created if needed), as HF's <c>save_pretrained</c> does.</summary>
    public static void Save(nn.Module model, JsonObject config, string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, BertConfig.FileName), PythonJson.Serialize(config) + "\n");
        // HF's from_pretrained requires the "format": "pt" metadata in safetensors files. Written aside and
        // renamed: a reader never sees half a file, and every rank of a data-parallel job may save at once.
        string weights = Path.Combine(directory, PretrainedWeights.SafeTensorsFile);
        string temp = $"{weights}.{Environment.ProcessId}.tmp";
        SafeTensors.Save(model, temp, new Dictionary<string, string> { ["format"] = "pt" });
        File.Move(temp, weights, overwrite: true);
    }
}
