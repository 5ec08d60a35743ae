using System.Collections;
using System.Globalization;
using System.Reflection;
using Dsl.Generators.Analyzers;
using Dsl.Generators.Tests.Support;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>
/// Keeps the settings rules in step with <c>TrainingArguments.Validate()</c>: every settable property of
/// TrainingArguments is set, one at a time, to values on both sides of every range Validate() checks, and the
/// analyzers must report on <c>new TrainingArguments { X = value }</c> exactly when Validate() throws. A check added to
/// Validate() without a rule (or a rule without a check) fails here, naming the setting and the value.
/// </summary>
public sealed class ValidateInStepTests
{
    private static readonly int[] Ints = [-2, -1, 0, 1, 2, 7];
    private static readonly double[] Doubles = [-1, -0.5, 0, 1e-9, 0.5, 0.999, 1, 1.5, 2, 10, double.NaN, double.PositiveInfinity, double.NegativeInfinity];
    private static readonly string[] Strings = ["", " ", "bogus", "cpu", "CPU", "cuda", "cuda:0", "cuda:x", "gpu", "cpu:0:1", "1", "mps", "meta", "accuracy", "loss"];

    /// <summary>A value to try, as C# source and as the object Validate() sees.</summary>
    private sealed record Probe(string Setting, string Source, object? Value);

    private static IEnumerable<Probe> Probes(PropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        bool nullable = Nullable.GetUnderlyingType(property.PropertyType) is not null || !property.PropertyType.IsValueType;
        string name = property.Name;
        if (nullable && type != typeof(IReadOnlyList<string>)) yield return new Probe(name, "null", null);
        if (type == typeof(int))
            foreach (var v in Ints) yield return new Probe(name, v.ToString(CultureInfo.InvariantCulture), v);
        else if (type == typeof(double))
            foreach (var v in Doubles) yield return new Probe(name, DoubleSource(v), v);
        else if (type == typeof(bool))
            foreach (var v in new[] { true, false }) yield return new Probe(name, v ? "true" : "false", v);
        else if (type == typeof(string))
            foreach (var v in Strings) yield return new Probe(name, "\"" + v + "\"", v);
        else if (type.IsEnum)
            foreach (var v in Enum.GetValues(type)) yield return new Probe(name, type.Name + "." + v, v);
        else if (type == typeof(IReadOnlyList<string>))
            foreach (var v in new[] { new[] { "none" }, ["bogus"], ["console", "jsonl"], ["Console"], ["tensorbord"], [] })
                yield return new Probe(name, "[" + string.Join(", ", v.Select(s => "\"" + s + "\"")) + "]", v);
        else if (type == typeof(IReadOnlyDictionary<string, double>))
            foreach (var (key, value) in new[] { ("power", 2.0), ("bogus", 1.0), ("num_cycles", double.NaN), ("lr_end", double.PositiveInfinity), ("lr_end", 0.0) })
                yield return new Probe(name, $"new System.Collections.Generic.Dictionary<string, double> {{ [\"{key}\"] = {DoubleSource(value)} }}",
                    new Dictionary<string, double> { [key] = value });
        else if (type == typeof(IReadOnlyDictionary<string, object>))
            foreach (var (key, value) in new[] { ("use_reentrant", "true"), ("preserve_rng_state", "false"), ("determinism_check", "\"none\""),
                         ("debug", "true"), ("determinism_check", "\"strict\""), ("preserve_rng_state", "\"yes\"") })
                yield return new Probe(name, $"new System.Collections.Generic.Dictionary<string, object> {{ [\"{key}\"] = {value} }}",
                    new Dictionary<string, object> { [key] = value == "true" ? true : value == "false" ? false : value.Trim('"') });
        else
            throw new InvalidOperationException($"TrainingArguments.{name} has a type ({type}) this test cannot probe yet; add probes for it.");
    }

    private static string DoubleSource(double v) =>
        double.IsNaN(v) ? "double.NaN"
        : double.IsPositiveInfinity(v) ? "double.PositiveInfinity"
        : double.IsNegativeInfinity(v) ? "double.NegativeInfinity"
        : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// Rules that mirror checks made when training starts rather than in Validate(): DSL040 (early stopping needs
    /// evaluations and a metric, TrainingArguments.ValidateEarlyStopping). Validate() accepts what they report.
    /// </summary>
    private static readonly string[] TrainStartRules = ["DSL040"];

    /// <summary>Settings whose Validate() check needs more than constants (the file system): not rules, by design.</summary>
    private static readonly string[] Undecidable = [];

    [Fact]
    public void The_analyzers_report_a_constant_setting_exactly_when_Validate_rejects_it()
    {
        var probes = typeof(TrainingArguments).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0 && !Undecidable.Contains(p.Name))
            .SelectMany(Probes).ToList();
        // A few pairs whose validity depends on each other.
        probes.Add(new Probe("NumTrainEpochs+MaxSteps", "NumTrainEpochs = 0, MaxSteps = 10", null));
        probes.Add(new Probe("NumTrainEpochs+MaxSteps", "NumTrainEpochs = 0, MaxSteps = -1", null));

        var lines = probes.Select((p, i) => p.Setting.Contains('+')
            ? $"    public static TrainingArguments P{i}() => new TrainingArguments {{ {p.Source} }};"
            : $"    public static TrainingArguments P{i}() => new TrainingArguments {{ {p.Setting} = {p.Source} }};");
        string source = Sources.Trainer("public static class Probes\n{\n" + string.Join("\n", lines) + "\n}");
        var compilation = GeneratorHarness.Compile(source, Sources.Common);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        var reported = AnalyzerHarness.Analyze(compilation)
            .Where(d => d.Location.SourceTree?.FilePath == "Source0.cs" && !TrainStartRules.Contains(d.Id))
            .Select(d => d.Location.GetLineSpan().StartLinePosition.Line).ToHashSet();
        int firstLine = source.Split('\n').ToList().FindIndex(l => l.Contains("P0()", StringComparison.Ordinal));

        var disagreements = new List<string>();
        for (int i = 0; i < probes.Count; i++)
        {
            var probe = probes[i];
            string? thrown = ValidateThrows(probe);
            bool analyzed = reported.Contains(firstLine + i);
            if ((thrown is not null) != analyzed)
                disagreements.Add($"{probe.Setting} = {probe.Source}: Validate() {(thrown is null ? "accepts it" : "throws \"" + thrown + "\"")}, the analyzers {(analyzed ? "report it" : "say nothing")}");
        }
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }

    private static string? ValidateThrows(Probe probe)
    {
        var args = new TrainingArguments();
        if (probe.Setting.Contains('+'))
        {
            foreach (var part in probe.Source.Split(", "))
            {
                var (name, value) = (part.Split(" = ")[0], part.Split(" = ")[1]);
                typeof(TrainingArguments).GetProperty(name)!.SetValue(args,
                    Convert.ChangeType(value, typeof(TrainingArguments).GetProperty(name)!.PropertyType, CultureInfo.InvariantCulture));
            }
        }
        else typeof(TrainingArguments).GetProperty(probe.Setting)!.SetValue(args, probe.Value);
        try { args.Validate(); return null; }
        catch (ArgumentException e) { return e.Message; }
    }

    [Fact]
    public void The_names_the_analyzer_knows_are_TrainingArguments_names()
    {
        static string[] Field(string name) =>
            (string[])typeof(TrainingArguments).GetField(name, BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        Assert.Equal(Field("KnownReportTargets"), ConstantArgumentsAnalyzer.ReportTargets);
        Assert.Equal(Field("KnownSchedulerKwargs"), ConstantArgumentsAnalyzer.SchedulerKwargs);
        Assert.Equal(Dsl.Memory.GradientCheckpointingOptions.KnownKeys, ConstantArgumentsAnalyzer.CheckpointingKwargs);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("CUDA:1")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("xla")]
    [InlineData("gpu")]
    [InlineData("cuda:0:0")]
    [InlineData("1")]
    [InlineData(" cpu")]
    public void The_device_check_agrees_with_TorchSharp(string device)
    {
        var types = Enum.GetNames(typeof(TorchSharp.DeviceType)).Select(n => n.ToUpperInvariant()).ToList();
        bool torch;
        try { _ = new TorchSharp.torch.Device(device); torch = true; }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException) { torch = false; }
        Assert.Equal(torch, ConstantArgumentsAnalyzer.IsDevice(device, types));
    }
}
