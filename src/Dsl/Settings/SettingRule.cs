// Compiled into the runtime (net10.0) and, as a linked file, into Dsl.Generators (netstandard2.0):
// nothing here may use TorchSharp, the runtime's own types, or APIs netstandard2.0 lacks.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace Dsl.Settings;

/// <summary>When the runtime checks a rule: in <c>TrainingArguments.Validate()</c>, or only when training starts.</summary>
internal enum RuleStage
{
    /// <summary><c>Validate()</c>, which Train, Evaluate and Predict call (HF's <c>__post_init__</c>).</summary>
    Validate,
    /// <summary>When training starts (HF's callbacks' <c>on_train_begin</c>): an evaluation alone does not need it.</summary>
    TrainStart,
}

/// <summary>
/// The settings of one <c>TrainingArguments</c> as a rule reads them: values by property name, enum values as
/// member names (<c>"Steps"</c>), lists and dictionaries as their elements. At run time every value is known; the
/// analyzers know only constants (and the defaults a <c>new</c> leaves), so a rule that reads an unknown setting is
/// not decided there.
/// </summary>
internal interface ISettingValues
{
    /// <summary>The value of <paramref name="setting"/>; false when it is not known (or this TrainingArguments has no such setting).</summary>
    bool TryGet(string setting, out object? value);

    /// <summary>The known elements of a list (key null) or dictionary setting; false when none are known.</summary>
    bool TryGetElements(string setting, out IReadOnlyList<KeyValuePair<object?, object?>> elements);

    /// <summary>True when <paramref name="setting"/> was given a value (rather than left at its default).</summary>
    bool IsWritten(string setting);

    /// <summary>True when TorchSharp's <c>new torch.Device(text)</c> accepts <paramref name="text"/>.</summary>
    bool IsDevice(string text);

    /// <summary>Whether rules that look at the file system can be decided (at run time; never at compile time).</summary>
    bool CanReadFileSystem { get; }

    /// <summary>True when <paramref name="path"/> is an existing file (only asked when <see cref="CanReadFileSystem"/>).</summary>
    bool IsExistingFile(string path);
}

/// <summary>
/// One settings rule: which settings it reads, when they can never work, what to say, and where. The
/// table is <see cref="SettingRules.All"/>.
/// </summary>
internal sealed class SettingRule
{
    public SettingRule(string id, string blame, string[] reads, Func<SettingView, bool> broken, Func<SettingView, string[]> arguments)
    {
        Id = id;
        Blame = [blame];
        Reads = reads;
        Broken = broken;
        Arguments = arguments;
    }

    /// <summary>The diagnostic the analyzers report (<c>DSL020</c>); its message format is <see cref="SettingRules.Format"/>.</summary>
    public string Id { get; }

    /// <summary>
    /// The settings to point at, in order of preference: the first names the <see cref="ArgumentException"/>'s
    /// parameter; the analyzers report on the last written of them (a pair such as Bf16/Fp16 blames the later).
    /// </summary>
    public string[] Blame { get; private set; }

    /// <summary>Every setting <see cref="Broken"/> and <see cref="Arguments"/> read; the rule is decided only when all are known.</summary>
    public string[] Reads { get; }

    /// <summary>True when the settings can never work.</summary>
    public Func<SettingView, bool> Broken { get; }

    /// <summary>The arguments of the message format of <see cref="Id"/>.</summary>
    public Func<SettingView, string[]> Arguments { get; }

    /// <summary>When the runtime checks it. Default <see cref="RuleStage.Validate"/>.</summary>
    public RuleStage Stage { get; private set; }

    /// <summary>True for a rule that looks at the file system: decided at run time only.</summary>
    public bool ReadsFileSystem { get; private set; }

    /// <summary>A list or dictionary setting checked element by element (the rule reads <see cref="SettingView.Key"/> and <see cref="SettingView.Element"/>), or null.</summary>
    public string? Elements { get; private set; }

    /// <summary>Two bool settings that must not both be true: the analyzers also report one expression given to both.</summary>
    public bool Exclusive { get; private set; }

    /// <summary>For a range rule with a diagnostic ID of its own: that diagnostic's message format.</summary>
    public string? RangeFormat { get; set; }

    /// <summary>For a range rule: the value a code fix puts in place of an out-of-range one, or null.</summary>
    public Func<double, double>? Nearest { get; private set; }

    public SettingRule AtTrainStart() { Stage = RuleStage.TrainStart; return this; }
    public SettingRule OnFileSystem() { ReadsFileSystem = true; return this; }
    public SettingRule PerElement(string setting) { Elements = setting; return this; }
    public SettingRule AsExclusivePair() { Exclusive = true; Blame = [Reads[1], Reads[0]]; return this; }
    public SettingRule FixedBy(Func<double, double> nearest) { Nearest = nearest; return this; }
}

/// <summary>What one rule reads of the settings; only settings the rule declares in <see cref="SettingRule.Reads"/>.</summary>
internal readonly struct SettingView
{
    private readonly ISettingValues _values;
    private readonly SettingRule _rule;

    public SettingView(ISettingValues values, SettingRule rule, object? key = null, object? element = null)
    {
        _values = values;
        _rule = rule;
        Key = key;
        Element = element;
    }

    /// <summary>The dictionary key of the element an element rule is checking (null for a list).</summary>
    public object? Key { get; }

    /// <summary>The element an element rule is checking.</summary>
    public object? Element { get; }

    /// <summary>The value of <paramref name="setting"/> (an enum as its member name).</summary>
    public object? Value(string setting)
    {
        if (Array.IndexOf(_rule.Reads, setting) < 0)
            throw new InvalidOperationException($"The rule {_rule.Id} on {_rule.Blame[0]} reads {setting} without declaring it in Reads.");
        _values.TryGet(setting, out object? value);
        return value;
    }

    public bool IsNull(string setting) => Value(setting) is null;
    public bool Flag(string setting) => Value(setting) is true;
    public string? Text(string setting) => Value(setting) as string;

    /// <summary>An enum setting's member name (or its number, for a value that names no member).</summary>
    public string Member(string setting) => Value(setting) switch
    {
        string name => name,
        var other => Convert.ToString(other, CultureInfo.InvariantCulture) ?? "null",
    };

    /// <summary>A numeric setting's value; NaN for null or a non-number.</summary>
    public double Number(string setting) => SettingRules.ToNumber(Value(setting));

    /// <summary>" (the default)" when the setting was left at its default, else "".</summary>
    public string DefaultNote(string setting) => _values.IsWritten(setting) ? "" : " (the default)";

    public bool IsDevice(string text) => _values.IsDevice(text);
    public bool IsExistingFile(string path) => _values.IsExistingFile(path);
}

/// <summary>A rule the settings break: the message's arguments and, for an element rule, which element.</summary>
internal readonly struct BrokenRule
{
    public BrokenRule(SettingRule rule, string[] arguments, int element)
    {
        Rule = rule;
        Arguments = arguments;
        Element = element;
    }

    public SettingRule Rule { get; }
    public string[] Arguments { get; }

    /// <summary>The index of the offending element among the known elements of <see cref="SettingRule.Elements"/>; -1 for other rules.</summary>
    public int Element { get; }

    /// <summary>The message, as the analyzers report it (no final period).</summary>
    public string Message => string.Format(CultureInfo.InvariantCulture, SettingRules.Format(Rule.Id), Arguments);
}
