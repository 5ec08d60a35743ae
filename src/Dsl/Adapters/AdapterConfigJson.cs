using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dsl.Adapters;

/// <summary>
/// <c>adapter_config.json</c> as PEFT writes it (<c>PeftConfig.save_pretrained</c>: <c>json.dumps(indent=2,
/// sort_keys=True)</c> of the config's fields, sets as lists) and reads it back. The fields this library does not
/// implement are written with PEFT's defaults, and refused when a file sets them otherwise.
/// </summary>
internal static class AdapterConfigJson
{
    private static readonly (PeftTaskType Type, string Name)[] TaskNames =
    [
        (PeftTaskType.SeqCls, "SEQ_CLS"), (PeftTaskType.TokenCls, "TOKEN_CLS"), (PeftTaskType.QuestionAns, "QUESTION_ANS"),
        (PeftTaskType.CausalLm, "CAUSAL_LM"), (PeftTaskType.Seq2SeqLm, "SEQ_2_SEQ_LM"), (PeftTaskType.FeatureExtraction, "FEATURE_EXTRACTION"),
    ];

    private static readonly (LoraBias Bias, string Name)[] BiasNames = [(LoraBias.None, "none"), (LoraBias.All, "all"), (LoraBias.LoraOnly, "lora_only")];

    /// <summary>The file's content for <paramref name="config"/>; <paramref name="targets"/> is <c>target_modules</c> as resolved (a list or a regex).</summary>
    public static JsonObject Write(LoraConfig config, object targets) => new()
    {
        ["alpha_pattern"] = new JsonObject(),
        ["auto_mapping"] = null,
        ["base_model_name_or_path"] = config.BaseModelNameOrPath,
        ["bias"] = BiasNames.First(b => b.Bias == config.Bias).Name,
        ["exclude_modules"] = null,
        ["fan_in_fan_out"] = false,
        ["inference_mode"] = true,   // PEFT's save_pretrained writes true whatever the live mode
        ["init_lora_weights"] = config.InitLoraWeights switch
        {
            LoraInit.Gaussian => JsonValue.Create("gaussian"),
            LoraInit.Random => JsonValue.Create(false),
            _ => JsonValue.Create(true),
        },
        ["layers_pattern"] = null,
        ["layers_to_transform"] = null,
        ["lora_alpha"] = Number(config.LoraAlpha),
        ["lora_bias"] = false,
        ["lora_dropout"] = config.LoraDropout,
        ["modules_to_save"] = config.ModulesToSave is null && config.TaskHeads.Count == 0 ? null : List(config.ResolvedModulesToSave),
        ["peft_type"] = "LORA",
        ["r"] = config.R,
        ["rank_pattern"] = new JsonObject(),
        ["revision"] = null,
        ["target_modules"] = targets is string regex ? JsonValue.Create(regex) : List((IEnumerable<string>)targets),
        ["task_type"] = config.TaskType is { } task ? TaskNames.First(t => t.Type == task).Name : null,
        ["use_dora"] = false,
        ["use_rslora"] = config.UseRslora,
    };

    /// <summary>Reads <paramref name="path"/> into a configuration.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a LoRA configuration, or one with a feature this library does not implement; the message names the field.</exception>
    public static LoraConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist: an adapter folder holds adapter_config.json and adapter_model.safetensors.", path);
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: expected a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not JSON ({e.Message}).", e);
        }
        try
        {
            return FromJson(json, path);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: a field has the wrong type ({e.Message}).", e);
        }
    }

    private static LoraConfig FromJson(JsonObject json, string path)
    {
        string peftType = json["peft_type"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: 'peft_type' is missing; this is not a PEFT adapter configuration.");
        if (peftType != "LORA") throw new InvalidDataException($"{path}: peft_type is '{peftType}'; only LORA adapters are supported.");
        Unsupported(json, path, "use_dora", n => n.GetValue<bool>(), "DoRA");
        Unsupported(json, path, "lora_bias", n => n.GetValue<bool>(), "a bias on lora_B");
        Unsupported(json, path, "rank_pattern", n => n is JsonObject { Count: > 0 }, "per-layer ranks");
        Unsupported(json, path, "alpha_pattern", n => n is JsonObject { Count: > 0 }, "per-layer alphas");
        Unsupported(json, path, "layers_to_transform", n => true, "layers_to_transform");
        Unsupported(json, path, "exclude_modules", n => true, "exclude_modules");

        var targets = json["target_modules"];
        var config = new LoraConfig
        {
            R = json["r"]?.GetValue<int>() ?? 8,
            LoraAlpha = json["lora_alpha"]?.GetValue<double>() ?? 8,
            LoraDropout = json["lora_dropout"]?.GetValue<double>() ?? 0,
            TargetModules = targets switch
            {
                JsonArray list => list.Select(n => n!.GetValue<string>()).ToList(),
                JsonValue value when string.Equals(value.GetValue<string>(), LoraConfig.AllLinear, StringComparison.OrdinalIgnoreCase) => [LoraConfig.AllLinear],
                _ => null,
            },
            TargetModulesRegex = targets is JsonValue text && !string.Equals(text.GetValue<string>(), LoraConfig.AllLinear, StringComparison.OrdinalIgnoreCase)
                ? text.GetValue<string>() : null,
            Bias = Named(json, "bias", BiasNames, LoraBias.None, path),
            UseRslora = json["use_rslora"]?.GetValue<bool>() ?? false,
            ModulesToSave = json["modules_to_save"] is JsonArray saved ? saved.Select(n => n!.GetValue<string>()).ToList() : null,
            InitLoraWeights = json["init_lora_weights"] switch
            {
                null => LoraInit.Default,
                JsonValue v when v.TryGetValue(out bool flag) => flag ? LoraInit.Default : LoraInit.Random,
                JsonValue v when v.GetValue<string>() == "gaussian" => LoraInit.Gaussian,
                // Other initialisations (pissa, olora, loftq, ...) only change the starting point: the saved weights are what count.
                _ => LoraInit.Default,
            },
            TaskType = json["task_type"] is JsonValue ? Named(json, "task_type", TaskNames, PeftTaskType.SeqCls, path) : null,
            BaseModelNameOrPath = json["base_model_name_or_path"]?.GetValue<string>(),
            FanInFanOut = json["fan_in_fan_out"]?.GetValue<bool>() ?? false,
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return config;
    }

    private static T Named<T>(JsonObject json, string field, (T Value, string Name)[] names, T fallback, string path)
    {
        if (json[field] is not JsonValue value) return fallback;
        string text = value.GetValue<string>();
        foreach (var (v, name) in names)
            if (name == text) return v;
        throw new InvalidDataException($"{path}: {field} is '{text}'; expected one of {string.Join(", ", names.Select(n => n.Name))}.");
    }

    private static void Unsupported(JsonObject json, string path, string field, Func<JsonNode, bool> isSet, string what)
    {
        if (json[field] is { } node && isSet(node))
            throw new InvalidDataException($"{path}: {field} is set, but {what} is not supported here; only plain LoRA adapters load.");
    }

    private static JsonArray List(IEnumerable<string> names)
    {
        var array = new JsonArray();
        foreach (string name in names) array.Add(name);
        return array;
    }

    // PEFT types lora_alpha as an int: a whole alpha is written as one (16, not 16.0).
    private static JsonNode Number(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15 ? JsonValue.Create((long)value) : JsonValue.Create(value);
}
