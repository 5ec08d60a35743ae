namespace Dsl.Adapters;

/// <summary>A module of the model as the target rules see it: its full name, its type's name, and whether it is a Linear layer.</summary>
internal readonly record struct ModuleInfo(string Name, string Type, bool IsLinear);

/// <summary>
/// Which modules a <see cref="LoraConfig"/> adapts and which it trains in full, by PEFT's rules (see
/// <see cref="ModuleNames"/>), and the one clear error for each entry that cannot work. Pure: it sees names only.
/// </summary>
internal sealed class LoraTargets
{
    // PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING, for the model types this library has.
    private static readonly Dictionary<string, string[]> DefaultTargets = new(StringComparer.Ordinal)
    {
        ["bert"] = ["query", "value"],
    };

    // PEFT's SEQ_CLS_HEAD_NAMES: the head "all-linear" leaves out of a classifier.
    private static readonly string[] SequenceClassificationHeads = ["score", "classifier"];

    private LoraTargets(IReadOnlyList<string> linear, IReadOnlyList<string> modulesToSave, object writtenTargets)
    {
        Linear = linear;
        ModulesToSave = modulesToSave;
        WrittenTargets = writtenTargets;
    }

    /// <summary>The Linear layers to adapt, in the model's order.</summary>
    public IReadOnlyList<string> Linear { get; }

    /// <summary>The modules trained in full, in the model's order.</summary>
    public IReadOnlyList<string> ModulesToSave { get; }

    /// <summary><c>target_modules</c> as <c>adapter_config.json</c> writes it: the entries, the regex, or (for all-linear) the layers' names, as PEFT resolves it.</summary>
    public object WrittenTargets { get; }

    /// <summary>Resolves <paramref name="config"/> against <paramref name="modules"/>.</summary>
    /// <param name="modules">The model's modules, in order (the model itself left out).</param>
    /// <param name="config">A validated configuration.</param>
    /// <param name="modelType">The model's <c>model_type</c>, for the default targets; null when unknown.</param>
    /// <param name="modelName">The model's type name, for messages.</param>
    /// <exception cref="ArgumentException">An entry matches nothing, or something LoRA cannot adapt; the message names it and the nearest names.</exception>
    public static LoraTargets Resolve(IReadOnlyList<ModuleInfo> modules, LoraConfig config, string? modelType, string modelName)
    {
        var saved = ResolveModulesToSave(modules, config, modelName);
        var linearNames = modules.Where(m => m.IsLinear).Select(m => m.Name).ToList();
        // PEFT: no adapter on a module to save or inside one (check_target_module_exists).
        var toSave = config.ResolvedModulesToSave;
        bool Excluded(string name) => toSave.Any(entry => ModuleNames.IsWithin(name, entry));

        if (config.TargetModulesRegex is { } pattern)
        {
            var regex = LoraConfig.TargetRegex(pattern);
            var matched = modules.Where(m => regex.IsMatch(m.Name) && !Excluded(m.Name)).ToList();
            if (matched.Count == 0)
                throw new ArgumentException(
                    $"LoraConfig.TargetModulesRegex '{pattern}' matches no module of {modelName} (it must match a whole name); " +
                    $"its Linear layers are named like {string.Join(", ", linearNames.Take(3))}.", nameof(LoraConfig.TargetModulesRegex));
            RequireLinear(matched, modules, $"TargetModulesRegex '{pattern}'");
            return new LoraTargets(matched.Select(m => m.Name).ToList(), saved, pattern);
        }

        var entries = config.TargetModules ?? (modelType is not null && DefaultTargets.TryGetValue(modelType, out var known) ? known : null)
            ?? throw new ArgumentException(
                $"LoraConfig.TargetModules is null and {modelName} (model_type '{modelType ?? "unknown"}') has no default targets; name the Linear " +
                $"layers to adapt, e.g. [{string.Join(", ", ModuleNames.Leaves(linearNames).Take(4).Select(n => $"\"{n}\""))}], or [\"{LoraConfig.AllLinear}\"].",
                nameof(LoraConfig.TargetModules));

        if (entries.Count == 1 && string.Equals(entries[0], LoraConfig.AllLinear, StringComparison.OrdinalIgnoreCase))
        {
            // PEFT's _maybe_include_all_linear_layers: every Linear but a classifier's head (SEQ_CLS), written out by name.
            var head = config.TaskType == PeftTaskType.SeqCls
                ? SequenceClassificationHeads.FirstOrDefault(h => modules.Any(m => m.Name == h)) : null;
            var all = linearNames.Where(n => n != head && !Excluded(n)).ToList();
            if (all.Count == 0) throw new ArgumentException($"LoraConfig.TargetModules is \"{LoraConfig.AllLinear}\" but {modelName} has no Linear layer to adapt.", nameof(LoraConfig.TargetModules));
            return new LoraTargets(all, saved, all);
        }

        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (string entry in entries)
        {
            var matched = modules.Where(m => ModuleNames.MatchesTarget(m.Name, entry)).ToList();
            if (matched.Count == 0)
                throw new ArgumentException(
                    $"LoraConfig.TargetModules entry '{entry}' matches no module of {modelName}; nearest Linear layers: " +
                    $"{string.Join(", ", ModuleNames.Nearest(entry, linearNames))}. An entry is a module's full name or the end of one after a dot.",
                    nameof(LoraConfig.TargetModules));
            RequireLinear(matched, modules, $"TargetModules entry '{entry}'");
            var kept = matched.Where(m => !Excluded(m.Name)).ToList();
            if (kept.Count == 0)
                throw new ArgumentException(
                    $"LoraConfig.TargetModules entry '{entry}' matches only modules inside ModulesToSave ({string.Join(", ", toSave)}), which train in full " +
                    "and take no adapter (PEFT's rule); remove one of the two.", nameof(LoraConfig.TargetModules));
            foreach (var module in kept) targets.Add(module.Name);
        }
        return new LoraTargets(linearNames.Where(targets.Contains).ToList(), saved, entries.ToList());
    }

    /// <summary>PEFT's <c>_set_trainable</c> over the entries; an entry the user wrote must find a module (a task's own heads need not).</summary>
    private static List<string> ResolveModulesToSave(IReadOnlyList<ModuleInfo> modules, LoraConfig config, string modelName)
    {
        var saved = new List<string>();
        foreach (string entry in config.ResolvedModulesToSave)
        {
            var matched = modules.Where(m => ModuleNames.MatchesModuleToSave(m.Name, entry)).Select(m => m.Name).ToList();
            if (matched.Count == 0 && config.TaskHeads.Contains(entry, StringComparer.Ordinal)) continue;
            if (matched.Count == 0)
                throw new ArgumentException(
                    $"LoraConfig.ModulesToSave entry '{entry}' matches no module of {modelName}; nearest: " +
                    $"{string.Join(", ", ModuleNames.Nearest(entry, modules.Select(m => m.Name)))}.", nameof(LoraConfig.ModulesToSave));
            saved.AddRange(matched);
        }
        // A module inside another module to save trains with it already.
        return modules.Select(m => m.Name).Where(n => saved.Contains(n) && !saved.Any(o => o != n && n.StartsWith(o + ".", StringComparison.Ordinal))).ToList();
    }

    // PEFT raises for a matched module type it cannot adapt; LoRA here adapts Linear layers.
    private static void RequireLinear(List<ModuleInfo> matched, IReadOnlyList<ModuleInfo> modules, string what)
    {
        var other = matched.FirstOrDefault(m => !m.IsLinear);
        if (other.Name is null) return;
        var inside = modules.Where(m => m.IsLinear && m.Name.StartsWith(other.Name + ".", StringComparison.Ordinal))
            .Select(m => m.Name.Substring(other.Name.Length + 1)).Take(4).ToList();
        throw new ArgumentException(
            $"LoraConfig.{what} matches {other.Name} ({other.Type}), which is not a Linear layer; LoRA adapts Linear layers only" +
            (inside.Count > 0 ? $": name those inside it ({string.Join(", ", inside)})." : "."),
            what.StartsWith("TargetModulesRegex", StringComparison.Ordinal) ? nameof(LoraConfig.TargetModulesRegex) : nameof(LoraConfig.TargetModules));
    }
}
