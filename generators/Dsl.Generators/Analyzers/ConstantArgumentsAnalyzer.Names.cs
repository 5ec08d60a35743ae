using System.Linq;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Analyzers;

public sealed partial class ConstantArgumentsAnalyzer
{
    /// <summary>TrainingArguments' report targets (its KnownReportTargets; a test compares the two).</summary>
    internal static readonly string[] ReportTargets = ["all", "none", "console", "jsonl", "tensorboard"];

    /// <summary>The scheduler arguments TrainingArguments accepts (its KnownSchedulerKwargs; a test compares the two).</summary>
    internal static readonly string[] SchedulerKwargs =
    [
        "num_cycles", "power", "lr_end", "min_lr", "min_lr_rate", "num_decay_steps", "num_stable_steps", "min_lr_ratio",
        "factor", "patience", "threshold", "cooldown", "eps",
    ];

    /// <summary>The gradient checkpointing arguments TrainingArguments accepts (GradientCheckpointingOptions.KnownKeys; a test compares the two).</summary>
    internal static readonly string[] CheckpointingKwargs = ["preserve_rng_state", "determinism_check", "use_reentrant"];

    /// <summary>DSL047: a name the runtime does not know, in ReportTo, LrSchedulerKwargs, GradientCheckpointingKwargs or Device.</summary>
    private static void CheckNames(ArgumentValues values, Reporter report, AnalyzerSymbols symbols)
    {
        if (values.ElementsOf("ReportTo") is { } targets)
            foreach (var (_, value, element) in targets)
                if (value is string target && System.Array.IndexOf(ReportTargets, target) < 0)
                    report.OnElement(element, DiagnosticDescriptors.UnknownSettingName, "ReportTo", target, "a report target",
                        string.Join(", ", ReportTargets) + Suggestion(target, ReportTargets));

        if (values.ElementsOf("LrSchedulerKwargs") is { } kwargs)
            foreach (var (key, _, element) in kwargs)
                if (key is string name && System.Array.IndexOf(SchedulerKwargs, name) < 0)
                    report.OnElement(element, DiagnosticDescriptors.UnknownSettingName, "LrSchedulerKwargs", name, "a scheduler argument",
                        string.Join(", ", SchedulerKwargs) + Suggestion(name, SchedulerKwargs));

        if (values.ElementsOf("GradientCheckpointingKwargs") is { } checkpointing)
            foreach (var (key, value, element) in checkpointing)
            {
                if (key is not string name) continue;
                if (System.Array.IndexOf(CheckpointingKwargs, name) < 0)
                    report.OnElement(element, DiagnosticDescriptors.UnknownSettingName, "GradientCheckpointingKwargs", name,
                        "a gradient checkpointing argument", string.Join(", ", CheckpointingKwargs) + Suggestion(name, CheckpointingKwargs));
                else if (name == "determinism_check" ? value is not ("default" or "none") : value is not bool)
                    report.OnElement(element, DiagnosticDescriptors.UnknownSettingName, $"GradientCheckpointingKwargs[\"{name}\"]",
                        System.Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null",
                        name == "determinism_check" ? "a determinism check" : "a bool", name == "determinism_check" ? "default or none" : "true or false");
            }

        if (values.TryGet("Device", out object? device) && device is string text && !IsDevice(text, symbols.DeviceTypes))
            report.On(values, "Device", DiagnosticDescriptors.UnknownSettingName, "Device", text, "a device libtorch can parse",
                "cpu, cuda or cuda:N" + Suggestion(text.Split(':')[0].ToLowerInvariant(), ["cpu", "cuda"]));
    }

    /// <summary>
    /// As TorchSharp's <c>new torch.Device(string)</c>: a DeviceType name (any case) or number, then optionally
    /// <c>:</c> and an integer index. A test checks the two agree on a list of strings.
    /// </summary>
    internal static bool IsDevice(string text, System.Collections.Generic.IReadOnlyCollection<string> deviceTypes)
    {
        if (deviceTypes.Count == 0) return true;   // TorchSharp not referenced: undecidable
        var parts = text.Split(':');
        if (parts.Length > 2) return true;   // TorchSharp 0.107 ignores such a string (and uses the CPU)
        string type = parts[0].Trim();
        bool knownType = deviceTypes.Contains(type.ToUpperInvariant())
            || int.TryParse(type, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out _);
        if (!knownType) return false;
        return parts.Length == 1 || int.TryParse(parts[1], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out _);
    }

    /// <summary>The known name within two edits of <paramref name="name"/>, or null.</summary>
    internal static string? Nearest(string name, string[] known)
    {
        string suggestion = Suggestion(name, known);
        return suggestion.Length == 0 ? null : suggestion.Substring(" (did you mean '".Length, suggestion.Length - " (did you mean '".Length - "'?)".Length);
    }

    /// <summary>"; did you mean 'console'?" for a name within two edits of a known one.</summary>
    internal static string Suggestion(string name, string[] known)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (var candidate in known)
        {
            int distance = Distance(name.ToLowerInvariant(), candidate);
            if (distance < bestDistance) { best = candidate; bestDistance = distance; }
        }
        return best is null ? "" : $" (did you mean '{best}'?)";
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int previous = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int current = row[j];
                row[j] = System.Math.Min(System.Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }
}
