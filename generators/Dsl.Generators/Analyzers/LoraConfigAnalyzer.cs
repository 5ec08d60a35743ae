using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Dsl.Adapters;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// DSL054: <c>LoraModel.Apply(model, new LoraConfig { TargetModules = ["vaule"] })</c>, where the configuration is a
/// constant and the model's module tree is known (<see cref="ModuleTree"/>): an entry of <c>TargetModules</c> that
/// matches no Linear layer, a <c>TargetModulesRegex</c> that matches none, a <c>ModulesToSave</c> entry that matches no
/// module, by PEFT's rules (the runtime's own <see cref="ModuleNames"/>, linked into this assembly). Reported on the
/// entry, with the nearest names in the message and in the diagnostic's properties for the code fix.
/// DSL055: a constant rank, alpha, dropout or target setting that <c>LoraConfig.Validate()</c> rejects.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LoraConfigAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The diagnostic property holding the nearest names, separated by '|'.</summary>
    public const string NearestProperty = "Nearest";

    // The heads PEFT's task models add to modules_to_save (classifier, score; qa_outputs): absent ones are no mistake.
    private static readonly string[] TaskHeads = ["classifier", "score", "qa_outputs"];

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.LoraModuleNotFound, DiagnosticDescriptors.LoraSettingInvalid);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (LoraSymbols.Create(start.Compilation) is not { } symbols) return;
            start.RegisterOperationAction(c => CheckSettings(c, symbols), OperationKind.ObjectCreation, OperationKind.With);
            start.RegisterOperationAction(c => CheckModules(c, symbols), OperationKind.Invocation);
        });
    }

    /// <summary>DSL055, on the assignments this <c>new LoraConfig { ... }</c> or <c>with { ... }</c> writes.</summary>
    private static void CheckSettings(OperationAnalysisContext c, LoraSymbols symbols)
    {
        var own = c.Operation switch
        {
            IObjectCreationOperation creation => creation.Initializer,
            IWithOperation with => with.Initializer,
            _ => null,
        };
        if (own is null || ArgumentValues.Resolve(c.Operation, symbols.Config) is not { } values) return;
        void Report(string setting, string shown, string expected)
        {
            if (values.AssignmentOf(setting) is { } assignment && assignment.Parent == own)
                c.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.LoraSettingInvalid, c.Options, assignment.Syntax.GetLocation(), setting, shown, expected));
        }

        if (values.TryGetInt("R", out int r) && r < 1) Report("R", Format(r), "a rank of at least 1");
        if (values.TryGetDouble("LoraAlpha", out double alpha) && !(alpha > 0 && !double.IsInfinity(alpha)))
            Report("LoraAlpha", Format(alpha), "a finite number above 0");
        if (values.TryGetDouble("LoraDropout", out double dropout) && !(dropout >= 0 && dropout < 1))
            Report("LoraDropout", Format(dropout), "a probability in [0, 1)");
        if (values.TryGet("FanInFanOut", out object? fan) && fan is true)
            Report("FanInFanOut", "true", "false: TorchSharp's Linear stores its weight as [out, in]");
        if (values.TryGet("TargetModulesRegex", out object? regex) && regex is string pattern)
        {
            if (RegexError(pattern) is { } problem) Report("TargetModulesRegex", $"'{pattern}'", $"a regular expression ({problem})");
            else if (IsNonNull(own, "TargetModules")) Report("TargetModulesRegex", $"'{pattern}' beside TargetModules", "null when TargetModules is set (PEFT's target_modules is a list or a regular expression)");
        }
        if (EmptyCollection(own, "TargetModules") is { } empty)
            c.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.LoraSettingInvalid, c.Options, empty.Syntax.GetLocation(),
                "TargetModules", "empty", "at least one module name, or null for the model's default targets"));
    }

    /// <summary>DSL054, at <c>LoraModel.Apply(model, config)</c> with a model of a known tree.</summary>
    private static void CheckModules(OperationAnalysisContext c, LoraSymbols symbols)
    {
        var call = (IInvocationOperation)c.Operation;
        if (call.TargetMethod.Name != "Apply" || !SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, symbols.Model)
            || call.Arguments.Length != 2 || c.Operation.SemanticModel is not { } semantic)
            return;
        var modelType = StepScopeAnalyzer.Unwrap(call.Arguments[0].Value).Type;
        var config = StepScopeAnalyzer.Unwrap(call.Arguments[1].Value);
        var values = config is ILocalReferenceOperation local
            ? ArgumentValues.ResolveLocal(local.Local, semantic, symbols.Config, c.CancellationToken)
            : ArgumentValues.Resolve(config, symbols.Config);
        if (values is null || ModuleTree.Of(modelType, symbols, c.CancellationToken) is not { } tree) return;
        string model = modelType!.Name;

        if (values.ElementsOf("TargetModules") is { } targets)
        {
            bool allLinear = targets.Count == 1 && targets[0].Value is string only && string.Equals(only, ModuleNames.AllLinear, System.StringComparison.OrdinalIgnoreCase);
            foreach (var (_, value, element) in targets)
                if (!allLinear && value is string entry && !tree.Linear.Any(name => ModuleNames.MatchesTarget(name, entry)))
                    Report(c, element, "TargetModules", entry, "Linear layer", model, ModuleNames.Nearest(entry, tree.Linear));
        }
        if (values.TryGet("TargetModulesRegex", out object? regex) && regex is string pattern && RegexError(pattern) is null
            && !tree.Linear.SelectMany(Expand).Any(name => FullMatch(pattern, name)) && values.AssignmentOf("TargetModulesRegex") is { } assignment)
            Report(c, assignment, "TargetModulesRegex", pattern, "Linear layer", model, tree.Linear.Take(3).ToList());
        if (values.ElementsOf("ModulesToSave") is { } saved)
            foreach (var (_, value, element) in saved)
                if (value is string entry && System.Array.IndexOf(TaskHeads, entry) < 0 && !tree.All.Any(name => ModuleNames.MatchesModuleToSave(name, entry)))
                    Report(c, element, "ModulesToSave", entry, "module", model, ModuleNames.Nearest(entry, tree.All));
    }

    private static void Report(OperationAnalysisContext c, IOperation at, string setting, string entry, string kind, string model, IReadOnlyList<string> nearest)
    {
        var properties = ImmutableDictionary<string, string?>.Empty.Add(NearestProperty, string.Join("|", nearest));
        c.ReportDiagnostic(Diagnostic.Create(HelpLinks.For(DiagnosticDescriptors.LoraModuleNotFound, HelpLinks.Document(c.Options)),
            at.Syntax.GetLocation(), properties, setting, entry, kind, model, nearest.Count == 0 ? $"none, {model} has no {kind}" : string.Join(", ", nearest)));
    }

    // A name with unknown list indices "*": its forms with indices 0..63 (0..11 each when there are several), for a regex.
    private static IEnumerable<string> Expand(string name)
    {
        var parts = name.Split('.');
        int wildcards = parts.Count(p => p == "*");
        if (wildcards == 0) return new[] { name };
        int limit = wildcards == 1 ? 64 : 12;
        IEnumerable<string> forms = new[] { "" };
        foreach (string part in parts)
        {
            var options = part == "*" ? Enumerable.Range(0, limit).Select(i => i.ToString(CultureInfo.InvariantCulture)) : new[] { part };
            forms = forms.SelectMany(f => options.Select(o => f.Length == 0 ? o : f + "." + o)).ToList();
        }
        return forms.Take(20000);
    }

    // As LoraConfig.TargetRegex: anchored at both ends, Python's re.fullmatch.
    private static bool FullMatch(string pattern, string name)
    {
        try { return Regex.IsMatch(name, "^(?:" + pattern + ")$", RegexOptions.CultureInvariant, System.TimeSpan.FromMilliseconds(200)); }
        catch (RegexMatchTimeoutException) { return true; }   // undecided: not a mistake to report
    }

    private static string? RegexError(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant);   // the error with the user's offsets
            _ = new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant);
            return null;
        }
        catch (System.ArgumentException e)
        {
            return e.Message;
        }
    }

    private static bool IsNonNull(IObjectOrCollectionInitializerOperation own, string setting) =>
        Assignment(own, setting) is { } assignment && StepScopeAnalyzer.Unwrap(assignment.Value) is var value
        && !(value.ConstantValue.HasValue && value.ConstantValue.Value is null);

    private static IOperation? EmptyCollection(IObjectOrCollectionInitializerOperation own, string setting) =>
        Assignment(own, setting) is { } assignment && StepScopeAnalyzer.Unwrap(assignment.Value) switch
        {
            ICollectionExpressionOperation collection => collection.Elements.Length == 0,
            IArrayCreationOperation { Initializer: { } array } => array.ElementValues.Length == 0,
            _ => false,
        } ? assignment : null;

    private static ISimpleAssignmentOperation? Assignment(IObjectOrCollectionInitializerOperation own, string setting)
    {
        foreach (var member in own.Initializers)
            if (member is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } assignment && property.Property.Name == setting)
                return assignment;
        return null;
    }

    private static string Format(object value) => Dsl.Settings.SettingRules.Show(value);
}
