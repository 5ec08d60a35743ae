using System.Collections.Generic;
using System.Collections.Immutable;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// DSL020–DSL028, DSL033: <c>TrainingArguments</c> built from constants (<c>new TrainingArguments { ... }</c>
/// or <c>with { ... }</c>) with a value that <c>TrainingArguments.Validate()</c> rejects when training
/// starts, as HF's <c>TrainingArguments.__post_init__</c> does. Each is reported on the assignment to
/// change, and only where that assignment is written (a <c>with</c> is not blamed for its operand).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed partial class ConstantArgumentsAnalyzer : DiagnosticAnalyzer
{
    private const int No = 0, Steps = 1, Best = 3;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
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
        DiagnosticDescriptors.PlateauWithoutEvaluation);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (AnalyzerSymbols.Create(start.Compilation) is not { Known.TrainingArguments: { } arguments } symbols) return;
            // DSL025 needs TrainingArguments.Bf16 and Fp16 (a runtime without them does not get it).
            bool hasMixedPrecision = arguments.GetMembers("Bf16").Length > 0 && arguments.GetMembers("Fp16").Length > 0;
            start.RegisterOperationAction(c =>
            {
                var initializer = c.Operation switch
                {
                    IObjectCreationOperation creation => creation.Initializer,
                    IWithOperation with => with.Initializer,
                    _ => null,
                };
                if (initializer is null || ArgumentValues.Resolve(c.Operation, arguments) is not { } values) return;
                var report = new Reporter(c, initializer);
                Check(values, report, symbols, hasMixedPrecision);
                CheckRanges(values, report);
                CheckNames(values, report, symbols);
            }, OperationKind.ObjectCreation, OperationKind.With);
        });
    }

    private static void Check(ArgumentValues values, Reporter report, AnalyzerSymbols symbols, bool hasMixedPrecision)
    {
        if (values.TryGetInt("GradientAccumulationSteps", out int accumulation) && accumulation < 1)
            report.On(values, "GradientAccumulationSteps", DiagnosticDescriptors.GradientAccumulationNotPositive, accumulation.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (values.TryGetDouble("LearningRate", out double rate) && !(rate > 0 && IsFinite(rate)))
            report.On(values, "LearningRate", DiagnosticDescriptors.LearningRateNotPositive, ArgumentValues.Format(rate));
        if (values.TryGetDouble("WarmupRatio", out double warmup) && !(warmup >= 0 && warmup < 1))
            report.On(values, "WarmupRatio", DiagnosticDescriptors.WarmupRatioOutOfRange, ArgumentValues.Format(warmup));
        if (values.TryGetInt("SaveTotalLimit", out int limit) && limit < 0)
            report.On(values, "SaveTotalLimit", DiagnosticDescriptors.SaveTotalLimitNegative, ArgumentValues.Format(limit));
        // As Validate(): one run has one precision. (Fp16 alone is fine: the runtime scales the loss.)
        if (hasMixedPrecision)
        {
            BothSet(values, report, "Bf16", "Fp16");
            BothSet(values, report, "Bf16FullEval", "Fp16FullEval");
        }
        // HF: ReduceLROnPlateau steps with the evaluation metric (and defaults MetricForBestModel to loss).
        bool plateau = symbols.ReduceLROnPlateau is { } plateauValue && Strategy(values, "LrSchedulerType") == plateauValue;
        if (Strategy(values, "SaveStrategy") == Best && values.TryGet("MetricForBestModel", out object? metric) && metric is null
            && values.TryGet("LoadBestModelAtEnd", out object? loadBest) && loadBest is false
            && !plateau && (symbols.ReduceLROnPlateau is null || Strategy(values, "LrSchedulerType") is not null))
            report.On(values, "SaveStrategy", DiagnosticDescriptors.SaveBestWithoutMetric);
        if (plateau && Strategy(values, "EvalStrategy") == No)
            report.On(values, "LrSchedulerType", DiagnosticDescriptors.PlateauWithoutEvaluation,
                values.AssignmentOf("EvalStrategy") is null ? " (the default)" : "");
        CheckIntervals(values, report);
        CheckLoadBestModel(values, report, symbols);
    }

    /// <summary>HF: a Steps strategy needs its interval above 0; eval uses LoggingSteps when EvalSteps is null.</summary>
    private static void CheckIntervals(ArgumentValues values, Reporter report)
    {
        bool loggingReported = false;
        if (Strategy(values, "LoggingStrategy") == Steps && InvalidSteps(values, "LoggingSteps", out string logging))
            loggingReported = report.On(values, "LoggingSteps", DiagnosticDescriptors.StepsIntervalInvalid, "LoggingSteps", logging, "LoggingStrategy = Steps");
        if (Strategy(values, "SaveStrategy") == Steps && InvalidSteps(values, "SaveSteps", out string save))
            report.On(values, "SaveSteps", DiagnosticDescriptors.StepsIntervalInvalid, "SaveSteps", save, "SaveStrategy = Steps");
        if (Strategy(values, "EvalStrategy") != Steps || !values.TryGet("EvalSteps", out object? evalSteps)) return;
        if (evalSteps is not null && InvalidSteps(values, "EvalSteps", out string eval))
            report.On(values, "EvalSteps", DiagnosticDescriptors.StepsIntervalInvalid, "EvalSteps", eval, "EvalStrategy = Steps");
        else if (evalSteps is null && !loggingReported && InvalidSteps(values, "LoggingSteps", out logging))
            report.On(values, "LoggingSteps", DiagnosticDescriptors.StepsIntervalInvalid, "LoggingSteps", logging,
                "EvalStrategy = Steps and EvalSteps null (evaluation uses LoggingSteps)");
    }

    /// <summary>The three conditions of TrainingArguments.Validate (and HF) on LoadBestModelAtEnd, in its order.</summary>
    private static void CheckLoadBestModel(ArgumentValues values, Reporter report, AnalyzerSymbols symbols)
    {
        if (!values.TryGet("LoadBestModelAtEnd", out object? loadBest) || loadBest is not true) return;
        int? eval = Strategy(values, "EvalStrategy");
        if (eval == No)
        {
            report.On(values, "LoadBestModelAtEnd", DiagnosticDescriptors.LoadBestWithoutEvaluation,
                values.AssignmentOf("EvalStrategy") is null ? " (the default)" : "");
            return;
        }
        int? save = Strategy(values, "SaveStrategy");
        if (eval is null || save is null) return;
        if (save != Best && save != eval)
        {
            report.On(values, "LoadBestModelAtEnd", DiagnosticDescriptors.LoadBestStrategiesDiffer,
                EnumName(symbols.SaveStrategy, save.Value), EnumName(symbols.IntervalStrategy, eval.Value));
            return;
        }
        if (eval != Steps || save != Steps || !values.TryGetDouble("SaveSteps", out double saveSteps)) return;
        if (!values.TryGet("EvalSteps", out object? evalSteps)) return;
        double resolvedEval;
        if (evalSteps is null) { if (!values.TryGetDouble("LoggingSteps", out resolvedEval)) return; }
        else resolvedEval = System.Convert.ToDouble(evalSteps, System.Globalization.CultureInfo.InvariantCulture);
        if (saveSteps >= 1 && resolvedEval >= 1 && saveSteps % resolvedEval != 0)
            report.On(values, "LoadBestModelAtEnd", DiagnosticDescriptors.LoadBestStepsNotMultiple,
                ArgumentValues.Format(saveSteps), ArgumentValues.Format(resolvedEval), evalSteps is null ? ", from LoggingSteps" : "");
    }

    private static int? Strategy(ArgumentValues values, string name) => values.TryGetInt(name, out int value) ? value : null;

    /// <summary>True when the interval is known and never works: not above 0, not finite, or 1 or more but not whole.</summary>
    private static bool InvalidSteps(ArgumentValues values, string name, out string shown)
    {
        shown = "";
        if (!values.TryGetDouble(name, out double steps)) return false;
        shown = ArgumentValues.Format(steps);
        return !(steps > 0 && IsFinite(steps)) || (steps >= 1 && steps != System.Math.Floor(steps));
    }

    private static bool IsFinite(double value) => !double.IsNaN(value) && !double.IsInfinity(value);

    private static void BothSet(ArgumentValues values, Reporter report, string bf16, string fp16)
    {
        if (values.TryGet(bf16, out object? b) && b is true && values.TryGet(fp16, out object? f) && f is true)
            report.On(values, LaterOf(values, bf16, fp16), DiagnosticDescriptors.Bf16AndFp16, bf16, fp16);
    }

    private static string LaterOf(ArgumentValues values, string first, string second)
    {
        var a = values.AssignmentOf(first);
        var b = values.AssignmentOf(second);
        if (a is null) return second;
        if (b is null) return first;
        return a.Syntax.SpanStart > b.Syntax.SpanStart ? first : second;
    }

    private static string EnumName(INamedTypeSymbol? type, int value)
    {
        if (type is not null)
            foreach (var member in type.GetMembers())
                if (member is IFieldSymbol { HasConstantValue: true } field && System.Convert.ToInt32(field.ConstantValue) == value)
                    return field.Name;
        return value.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Reports on an assignment, only when the operation being analyzed wrote it.</summary>
    private readonly struct Reporter(OperationAnalysisContext context, IObjectOrCollectionInitializerOperation own)
    {
        public bool On(ArgumentValues values, string setting, DiagnosticDescriptor descriptor, params string[] arguments)
        {
            var assignment = values.AssignmentOf(setting);
            if (assignment is null || assignment.Parent != own) return false;
            context.ReportDiagnostic(HelpLinks.Create(descriptor, context.Options, assignment.Syntax.GetLocation(), arguments));
            return true;
        }

        /// <summary>Reports on an element of a list or dictionary setting, when the operation being analyzed wrote it.</summary>
        public void OnElement(IOperation element, DiagnosticDescriptor descriptor, params string[] arguments)
        {
            for (var parent = element.Parent; parent is not null; parent = parent.Parent)
            {
                if (parent is not IObjectOrCollectionInitializerOperation initializer) continue;
                if (initializer.Parent is IObjectCreationOperation { Type.Name: "TrainingArguments" } or IWithOperation)
                {
                    if (initializer != own) return;
                    break;
                }
            }
            context.ReportDiagnostic(HelpLinks.Create(descriptor, context.Options, element.Syntax.GetLocation(), arguments));
        }
    }
}
