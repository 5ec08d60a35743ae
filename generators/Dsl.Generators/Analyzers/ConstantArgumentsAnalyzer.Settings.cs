using System.Collections.Generic;
using System.Globalization;
using Dsl.Settings;

namespace Dsl.Generators.Analyzers;

public sealed partial class ConstantArgumentsAnalyzer
{
    /// <summary>
    /// As TorchSharp's <c>new torch.Device(string)</c>: a DeviceType name (any case) or number, then optionally
    /// <c>:</c> and an integer index. A test checks the two agree on a list of strings.
    /// </summary>
    internal static bool IsDevice(string text, IReadOnlyCollection<string> deviceTypes)
    {
        if (deviceTypes.Count == 0) return true;   // TorchSharp not referenced: undecidable
        var parts = text.Split(':');
        if (parts.Length > 2) return true;   // TorchSharp 0.107 ignores such a string (and uses the CPU)
        string type = parts[0].Trim();
        bool knownType = Contains(deviceTypes, type.ToUpperInvariant())
            || int.TryParse(type, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);
        if (!knownType) return false;
        return parts.Length == 1 || int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out _);
    }

    private static bool Contains(IReadOnlyCollection<string> names, string name)
    {
        foreach (string candidate in names)
            if (candidate == name) return true;
        return false;
    }

    /// <summary>The settings a <c>new</c> or <c>with</c> fixes, as the settings rules read them at compile time.</summary>
    private sealed class AnalyzedSettings(ArgumentValues values, IReadOnlyCollection<string> deviceTypes) : ISettingValues
    {
        public bool TryGet(string setting, out object? value) => values.TryGet(setting, out value);

        public bool TryGetElements(string setting, out IReadOnlyList<KeyValuePair<object?, object?>> elements)
        {
            var known = new List<KeyValuePair<object?, object?>>();
            if (values.ElementsOf(setting) is { } written)
                foreach (var (key, value, _) in written) known.Add(new KeyValuePair<object?, object?>(key, value));
            elements = known;
            return known.Count > 0;
        }

        public bool IsWritten(string setting) => values.AssignmentOf(setting) is not null;

        public bool IsDevice(string text) => ConstantArgumentsAnalyzer.IsDevice(text, deviceTypes);

        // Whether OutputDir is a file is a fact of the machine that runs the program, not of the source.
        public bool CanReadFileSystem => false;

        public bool IsExistingFile(string path) => false;
    }
}
