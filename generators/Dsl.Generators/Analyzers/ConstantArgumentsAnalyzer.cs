using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Dsl.Settings;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// The settings rules (src/Dsl/Settings/SettingRules.cs, the table <c>TrainingArguments.Validate()</c> also
/// reads) on <c>TrainingArguments</c> built from constants: <c>new TrainingArguments { ... }</c>, <c>x with { ... }</c>,
/// and a <c>with</c> over a local that holds such a <c>new</c>. Each rule is reported on the assignment to change,
/// only where the operation being analyzed writes it: on the blamed setting, or, when a <c>with</c> breaks a rule its
/// operand kept, on the <c>with</c>'s own assignment that broke it. Also one expression given to two settings that
/// must not both be true (<c>Bf16 = mixed, Fp16 = mixed</c>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed partial class ConstantArgumentsAnalyzer : DiagnosticAnalyzer
{
    private static readonly ImmutableDictionary<string, DiagnosticDescriptor> ById = new[]
    {
        DiagnosticDescriptors.GradientAccumulationNotPositive,
        DiagnosticDescriptors.StepsIntervalInvalid,
        DiagnosticDescriptors.SaveTotalLimitNegative,
        DiagnosticDescriptors.LearningRateNotPositive,
        DiagnosticDescriptors.WarmupRatioOutOfRange,
        DiagnosticDescriptors.Bf16AndFp16,
        DiagnosticDescriptors.SaveBestWithoutMetric,
        DiagnosticDescriptors.LoadBestWithoutEvaluation,
        DiagnosticDescriptors.LoadBestStrategiesDiffer,
        DiagnosticDescriptors.LoadBestStepsNotMultiple,
        DiagnosticDescriptors.SettingOutOfRange,
        DiagnosticDescriptors.NoTrainingLength,
        DiagnosticDescriptors.UnknownSettingName,
        DiagnosticDescriptors.PlateauWithoutEvaluation,
        DiagnosticDescriptors.EarlyStoppingWithoutEvaluation,
    }.ToImmutableDictionary(d => d.Id);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ById.Values.ToImmutableArray();

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (AnalyzerSymbols.Create(start.Compilation) is not { Known.TrainingArguments: { } arguments } symbols) return;
            start.RegisterOperationAction(c =>
            {
                var own = c.Operation switch
                {
                    IObjectCreationOperation creation => creation.Initializer,
                    IWithOperation with => with.Initializer,
                    _ => null,
                };
                if (own is null || ArgumentValues.Resolve(c.Operation, arguments, c.CancellationToken) is not { } values) return;
                var settings = new AnalyzedSettings(values, symbols.DeviceTypes);
                foreach (var broken in SettingRules.Check(settings))
                    Report(c, own, values, broken);
                foreach (var rule in SettingRules.All)
                    if (rule.Exclusive && values.SameValue(rule.Reads[0], rule.Reads[1], out string shown))
                        Report(c, own, values, new BrokenRule(rule, [rule.Reads[0], rule.Reads[1], $" to '{shown}', which sets both whenever it is true"], -1));
            }, OperationKind.ObjectCreation, OperationKind.With);
        });
    }

    private static void Report(OperationAnalysisContext context, IObjectOrCollectionInitializerOperation own, ArgumentValues values,
        BrokenRule broken)
    {
        var rule = broken.Rule;
        IOperation? site = rule.Elements is { } list ? ElementSite(values.ElementsOf(list)![broken.Element].Element, own) : BlameSite(rule, values, own);
        if (site is null) return;
        context.ReportDiagnostic(HelpLinks.Create(ById[rule.Id], context.Options, site.Syntax.GetLocation(), broken.Arguments));
    }

    /// <summary>
    /// Where to report a broken rule in the initializer <paramref name="own"/>: the last written of its blamed settings;
    /// else, in a <c>with</c> whose operand alone keeps the rule, the last of the <c>with</c>'s assignments the rule reads.
    /// Null when <paramref name="own"/> did not cause it (the operand's own analysis reports it).
    /// </summary>
    private static IOperation? BlameSite(SettingRule rule, ArgumentValues values, IObjectOrCollectionInitializerOperation own)
    {
        if (LastWritten(rule.Blame, values, own) is { } blamed) return blamed;
        if (values.Operand is not { } operand) return null;
        var alone = new AnalyzedSettings(operand, []);
        if (SettingRules.Check(alone).Any(b => b.Rule == rule)) return null;
        return LastWritten(rule.Reads, values, own);
    }

    private static IOperation? LastWritten(IEnumerable<string> settings, ArgumentValues values, IObjectOrCollectionInitializerOperation own)
    {
        IOperation? last = null;
        foreach (string setting in settings)
            if (values.WrittenAt(setting) is { } assignment && assignment.Parent == own
                && (last is null || assignment.Syntax.SpanStart > last.Syntax.SpanStart))
                last = assignment;
        return last;
    }

    /// <summary>An element of a list or dictionary setting, when the initializer being analyzed wrote it.</summary>
    private static IOperation? ElementSite(IOperation element, IObjectOrCollectionInitializerOperation own)
    {
        for (var parent = element.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is not IObjectOrCollectionInitializerOperation initializer) continue;
            if (initializer.Parent is IObjectCreationOperation { Type.Name: "TrainingArguments" } or IWithOperation)
                return initializer == own ? element : null;
        }
        return element;
    }
}
