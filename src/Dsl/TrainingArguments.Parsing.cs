using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Dsl;

public sealed partial record TrainingArguments
{
    /// <summary>
    /// Reads HF's settings from a JSON file of HF's snake_case names (<c>{"learning_rate": 3e-5, "eval_strategy": "epoch"}</c>),
    /// as <c>HfArgumentParser.parse_json_file</c> does: unset settings keep <paramref name="defaults"/> (HF's defaults when
    /// null); <c>training_args.json</c> of a checkpoint reads back to the arguments that wrote it. A key that is not a setting
    /// is an error naming the file and the key (HF's <c>allow_extra_keys=False</c>), as is a value of the wrong type; the
    /// result is validated (<see cref="Validate"/>), as HF's <c>__post_init__</c> does.
    /// </summary>
    /// <param name="path">The JSON file.</param>
    /// <param name="allowExtraKeys">Ignore keys that are not settings (HF's <c>allow_extra_keys</c>), e.g. a file that also holds a model's arguments.</param>
    /// <param name="defaults">What unset settings are; null: a new <see cref="TrainingArguments"/>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a JSON object.</exception>
    /// <exception cref="ArgumentException">A key or value that does not fit, or settings that can never work.</exception>
    public static TrainingArguments FromJsonFile(string path, bool allowExtraKeys = false, TrainingArguments? defaults = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"The TrainingArguments file {path} does not exist.", path);
        return FromJson(File.ReadAllText(path), path, allowExtraKeys, defaults);
    }

    /// <summary>Reads HF's settings from JSON text, as <see cref="FromJsonFile"/> does; <paramref name="source"/> names it in errors.</summary>
    /// <param name="json">A JSON object of HF's snake_case names.</param>
    /// <param name="source">What messages call the text, e.g. a file name.</param>
    /// <param name="allowExtraKeys">Ignore keys that are not settings.</param>
    /// <param name="defaults">What unset settings are; null: a new <see cref="TrainingArguments"/>.</param>
    /// <exception cref="InvalidDataException">The text is not a JSON object.</exception>
    /// <exception cref="ArgumentException">A key or value that does not fit, or settings that can never work.</exception>
    public static TrainingArguments FromJson(string json, string source = "the JSON", bool allowExtraKeys = false, TrainingArguments? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new InvalidDataException($"{source} is not a JSON object of settings ({{\"learning_rate\": 3e-5, ...}}).");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }

        var result = (defaults ?? new TrainingArguments()) with { };
        var unknown = new List<string>();
        foreach (var (key, value) in root)
        {
            if (SettingBinder.Find(key) is not { } setting)
            {
                if (!SettingBinder.Informational.Contains(key) && !allowExtraKeys) unknown.Add(key);
                continue;
            }
            setting.Property.SetValue(result, SettingBinder.FromJson(value, setting, $"{source}: \"{key}\""));
        }
        if (unknown.Count > 0) throw new ArgumentException(SettingBinder.UnknownMessage(source, unknown, "key"), nameof(json));
        // A training_args.json names the folder its run logged to: arguments read back from it log there too, as
        // HF's file (whose logging_dir is resolved in __post_init__) says, instead of a new {time}_{host} folder.
        if (result.LoggingDir is null && root["resolved_logging_dir"] is JsonValue logged && logged.TryGetValue(out string? folder))
            DefaultLoggingDirs.AddOrUpdate(result, folder);
        result.Validate();
        return result;
    }

    /// <summary>
    /// Reads HF's settings from command-line options, as <c>HfArgumentParser.parse_args_into_dataclasses</c> does:
    /// <c>--learning_rate 3e-5</c>, <c>--learning-rate=3e-5</c>; a boolean alone is true (<c>--fp16</c>) or takes
    /// yes/no, true/false, t/f, y/n, 1/0 (<c>--fp16 false</c>), and one that defaults to true also has
    /// <c>--no_{name}</c>; a list takes the values that follow (<c>--report_to tensorboard jsonl</c>); a dictionary
    /// takes JSON (<c>--lr_scheduler_kwargs '{"num_cycles": 2}'</c>). Later options win. Anything else is an error naming
    /// it. Unset settings keep <paramref name="defaults"/> (e.g. <see cref="FromJsonFile"/>'s result, for a file
    /// overridden from the command line). The result is validated.
    /// </summary>
    /// <param name="args">The command line's arguments.</param>
    /// <param name="defaults">What unset settings are; null: a new <see cref="TrainingArguments"/>.</param>
    /// <exception cref="ArgumentException">An option that is not a setting, a missing or wrong value, or settings that can never work.</exception>
    public static TrainingArguments FromCommandLine(IReadOnlyList<string> args, TrainingArguments? defaults = null)
    {
        var (result, remaining) = FromCommandLine(args, defaults, keepRemaining: true);
        if (remaining.Count > 0) throw new ArgumentException(SettingBinder.UnknownMessage("The command line", remaining, "argument"), nameof(args));
        return result;
    }

    /// <summary>
    /// As <see cref="FromCommandLine(IReadOnlyList{string}, TrainingArguments?)"/>, but what is not a setting is returned,
    /// in order, for the program's own options (HF's <c>return_remaining_strings=True</c>).
    /// </summary>
    /// <param name="args">The command line's arguments.</param>
    /// <param name="defaults">What unset settings are; null: a new <see cref="TrainingArguments"/>.</param>
    /// <param name="keepRemaining">Must be true: marks this overload.</param>
    public static (TrainingArguments Arguments, IReadOnlyList<string> Remaining) FromCommandLine(IReadOnlyList<string> args, TrainingArguments? defaults,
        bool keepRemaining)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (!keepRemaining) throw new ArgumentException("Use FromCommandLine(args, defaults) to refuse what is not a setting.", nameof(keepRemaining));
        var result = (defaults ?? new TrainingArguments()) with { };
        var remaining = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string token = args[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2) { remaining.Add(token); continue; }
            int equals = token.IndexOf('=', StringComparison.Ordinal);
            string name = (equals < 0 ? token[2..] : token[2..equals]).Replace('-', '_');
            string? inline = equals < 0 ? null : token[(equals + 1)..];
            string option = "--" + name;

            if (SettingBinder.Find(name) is not { } setting)
            {
                // HF: --no_{name} for a boolean whose default is true.
                if (name.StartsWith("no_", StringComparison.Ordinal) && SettingBinder.Find(name[3..]) is { DefaultsToTrue: true } negated && inline is null)
                    negated.Property.SetValue(result, false);
                else
                {
                    remaining.Add(token);
                    // The option's value goes with it, unless it is another option.
                    if (inline is null && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) remaining.Add(args[++i]);
                }
                continue;
            }

            object? value;
            if (setting.Type == typeof(bool))
            {
                // argparse's nargs="?" with const=True: the next token is the value unless it looks like an option.
                string? text = inline ?? (i + 1 < args.Count && !args[i + 1].StartsWith('-') ? args[++i] : null);
                value = text is null || SettingBinder.Truth(text, option);
            }
            else if (setting.IsList)
            {
                var values = new List<string>();
                if (inline is not null) values.Add(inline);
                while (inline is null && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) values.Add(args[++i]);
                if (values.Count == 0) throw new ArgumentException($"{option} needs one or more values.", nameof(args));
                value = values;
            }
            else
            {
                string text = inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{option} needs a value.", nameof(args)));
                value = SettingBinder.FromText(text, setting, option);
            }
            setting.Property.SetValue(result, value);
        }
        result.Validate();
        return (result, remaining);
    }
}
