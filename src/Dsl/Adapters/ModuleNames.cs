using System;
using System.Collections.Generic;
using System.Linq;

namespace Dsl.Adapters;

/// <summary>
/// PEFT's rules for matching module names, on names alone, shared word for word by the runtime (<see cref="LoraModel"/>)
/// and the analyzer that checks constant configurations at compile time (generators/Dsl.Generators links this file).
/// A name's segments are separated by dots; the analyzer writes <c>*</c> for a list index it cannot know
/// (<c>bert.encoder.layer.*.attention.self.query</c>), which stands for any number.
/// </summary>
internal static class ModuleNames
{
    /// <summary>PEFT's <c>INCLUDE_LINEAR_LAYERS_SHORTHAND</c>: every Linear layer but the output head.</summary>
    public const string AllLinear = "all-linear";

    /// <summary>
    /// PEFT's <c>check_target_module_exists</c> for a list entry: the module's name is the entry (<c>key in
    /// target_modules</c>) or ends with a dot and the entry (<c>key.endswith(f".{target_key}")</c>), i.e. the entry's
    /// segments end the name's.
    /// </summary>
    public static bool MatchesTarget(string module, string entry)
    {
        string[] name = module.Split('.'), wanted = entry.Split('.');
        if (wanted.Length > name.Length) return false;
        for (int i = 1; i <= wanted.Length; i++)
            if (!SegmentMatches(name[name.Length - i], wanted[wanted.Length - i])) return false;
        return true;
    }

    /// <summary>
    /// PEFT's <c>_set_trainable</c>: a module is saved in full when its name ends with the entry (<c>key.endswith(name)</c>,
    /// no dot required, so the entry's first segment may end one of the name's).
    /// </summary>
    public static bool MatchesModuleToSave(string module, string entry)
    {
        string[] name = module.Split('.'), wanted = entry.Split('.');
        if (wanted.Length > name.Length) return false;
        for (int i = 1; i < wanted.Length; i++)
            if (!SegmentMatches(name[name.Length - i], wanted[wanted.Length - i])) return false;
        string first = wanted[0], segment = name[name.Length - wanted.Length];
        return segment == "*" ? first.All(IsDigit) : segment.EndsWith(first, StringComparison.Ordinal);
    }

    /// <summary>
    /// PEFT's <c>check_target_module_exists</c> keeps adapters off modules to save and everything inside them:
    /// <c>re.match(rf"(^|.*\.){m}($|\..*)", key)</c>, a run of whole segments of the name equal to the entry.
    /// </summary>
    public static bool IsWithin(string module, string entry)
    {
        string[] name = module.Split('.'), inner = entry.Split('.');
        for (int start = 0; start + inner.Length <= name.Length; start++)
        {
            bool all = true;
            for (int i = 0; i < inner.Length && all; i++) all = SegmentMatches(name[start + i], inner[i]);
            if (all) return true;
        }
        return false;
    }

    /// <summary>
    /// The names nearest <paramref name="entry"/> among <paramref name="modules"/> and their dot-suffixes (the forms an
    /// entry may take), by edit distance, at most <paramref name="count"/>; suffixes with an unknown index are left out.
    /// </summary>
    public static IReadOnlyList<string> Nearest(string entry, IEnumerable<string> modules, int count = 3)
    {
        var candidates = new HashSet<string>(StringComparer.Ordinal);
        foreach (string module in modules)
        {
            string[] segments = module.Split('.');
            for (int start = segments.Length - 1; start >= 0 && segments[start] != "*"; start--)
                candidates.Add(string.Join(".", segments, start, segments.Length - start));
        }
        return candidates
            .Select(c => (Name: c, Distance: Dsl.Settings.SettingRules.Distance(entry, c)))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name.Length).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Take(count).Select(c => c.Name).ToList();
    }

    /// <summary>The last segment of each name, once each, in order: <c>query, key, value, dense, classifier</c>.</summary>
    public static IReadOnlyList<string> Leaves(IEnumerable<string> modules) =>
        modules.Select(m => m.Substring(m.LastIndexOf('.') + 1)).Distinct(StringComparer.Ordinal).ToList();

    // An unknown index "*" in a name stands for any number; an entry's own segments are literal.
    private static bool SegmentMatches(string segment, string wanted) =>
        string.Equals(segment, wanted, StringComparison.Ordinal) || (segment == "*" && IsIndex(wanted));

    private static bool IsIndex(string text) => text.Length > 0 && text.All(IsDigit);

    private static bool IsDigit(char c) => c >= '0' && c <= '9';
}
