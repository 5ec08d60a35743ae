using System.Collections.Generic;
using System.Collections.Immutable;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// DSL050: a hook returns a <c>TrainerControl</c> where the loop can no longer act on it, which was dropped silently.
/// <c>[OnTrainEnd]</c> runs after the loop: nothing acts on what it returns (reported on the method; the code fix
/// makes it return void). Elsewhere a constant flag in a returned value is reported where the loop has passed the
/// point that reads it, by the loop's order (HF's: <c>on_epoch_begin</c> clears StopEpoch, <c>on_step_begin</c>
/// clears Log, Evaluate and Save; <c>_maybe_log_save_evaluate</c> logs, then evaluates, then saves); see
/// <see cref="Dropped"/>. A value the analyzer cannot see (a variable, a call) is not judged.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HookControlAnalyzer : DiagnosticAnalyzer
{
    private const string ClearedAtStepBegin =
        "which the loop clears when the next optimizer step begins (HF's on_step_begin), so it never happens";
    private const string AskAtStepEnd = "return it from [OnStepEnd], whose requests are acted on at the end of that step";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.HookControlDropped);

    /// <summary>
    /// The flags the loop never acts on when <paramref name="kind"/> returns them, with why and what to do instead.
    /// Pinned at run time by Dsl.Tests' HookControlTests, one case per entry.
    /// </summary>
    internal static (string Why, string Instead)? Dropped(HookKind kind, string flag) => (kind, flag) switch
    {
        (HookKind.TrainBegin or HookKind.EpochBegin, "Log" or "Evaluate" or "Save") => (ClearedAtStepBegin, AskAtStepEnd),
        (HookKind.TrainBegin, "StopEpoch") => ("which the loop clears when the first epoch begins (HF's on_epoch_begin)",
            "return StopTraining to stop, or StopEpoch from [OnEpochBegin] or later"),
        (HookKind.EpochEnd, "StopEpoch") => ("but the epoch has ended when [OnEpochEnd] runs, and the next epoch clears it",
            "return StopTraining to stop training"),
        (HookKind.Log, "Log") => ("but the loop has just logged when [OnLog] runs, and the request is cleared when the next step begins",
            AskAtStepEnd),
        (HookKind.Evaluate or HookKind.PredictionStep, "Log" or "Evaluate") =>
            ("but the loop logs, then evaluates, then saves (HF's _maybe_log_save_evaluate): the log and the evaluation of this step are done, and the request is cleared when the next step begins",
             AskAtStepEnd),
        (HookKind.Save, "Log" or "Evaluate" or "Save") =>
            ("but the loop logs, then evaluates, then saves (HF's _maybe_log_save_evaluate): all three are done for this step, and the request is cleared when the next step begins",
             AskAtStepEnd),
        _ => null,
    };

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (AnalyzerSymbols.Create(start.Compilation) is not { Known.TrainerControl: { } control } symbols) return;
            start.RegisterOperationBlockAction(block =>
            {
                if (block.OwningSymbol is not IMethodSymbol { MethodKind: MethodKind.Ordinary } method
                    || !KnownTypes.Is(method.ReturnType, control) || method.ContainingType is not { } type || !symbols.IsTrainer(type)
                    || Hook(method, symbols) is not { } hook)
                    return;
                if (hook.Kind == HookKind.TrainEnd)
                {
                    block.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.HookControlDropped, block.Options, method.Locations[0],
                        hook.Name, method.Name, "TrainerControl", "but training has ended when it runs, so nothing acts on what it returns",
                        "return void"));
                    return;
                }
                foreach (var root in block.OperationBlocks)
                    foreach (var returned in Returns(root))
                        foreach (var (at, value) in Flags(returned, control))
                            foreach (var member in control.GetMembers())
                            {
                                if (member is not IFieldSymbol { HasConstantValue: true } flag) continue;
                                int bit = System.Convert.ToInt32(flag.ConstantValue, System.Globalization.CultureInfo.InvariantCulture);
                                if (bit == 0 || (value & bit) != bit || Dropped(hook.Kind, flag.Name) is not { } dropped) continue;
                                block.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.HookControlDropped, block.Options, at.Syntax.GetLocation(),
                                    hook.Name, method.Name, "TrainerControl." + flag.Name, dropped.Why, dropped.Instead));
                            }
            });
        });
    }

    private static (HookKind Kind, string Name)? Hook(IMethodSymbol method, AnalyzerSymbols symbols)
    {
        foreach (var attribute in method.GetAttributes())
            if (attribute.AttributeClass is { } attributeClass && symbols.HookAttributes.TryGetValue(attributeClass, out string? name))
                foreach (var (metadataName, kind, _, _) in TrainerParser.HookAttributes)
                    if (attributeClass.ToDisplayString() == metadataName) return (kind, name);
        return null;
    }

    /// <summary>The values the method returns: its <c>return</c>s, not those of its lambdas and local functions.</summary>
    private static IEnumerable<IOperation> Returns(IOperation operation)
    {
        if (operation is IReturnOperation { ReturnedValue: { } value }) yield return value;
        foreach (var child in operation.ChildOperations)
        {
            if (child is IAnonymousFunctionOperation or ILocalFunctionOperation) continue;
            foreach (var nested in Returns(child)) yield return nested;
        }
    }

    /// <summary>The constant TrainerControl parts of a returned value (through |, ?: and switch arms), where they are written.</summary>
    private static IEnumerable<(IOperation At, int Value)> Flags(IOperation operation, ITypeSymbol control)
    {
        switch (operation)
        {
            case IConversionOperation { IsImplicit: true } conversion:
                return Flags(conversion.Operand, control);
            case IParenthesizedOperation parenthesized:
                return Flags(parenthesized.Operand, control);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Or } or:
                return Concat(Flags(or.LeftOperand, control), Flags(or.RightOperand, control));
            case IConditionalOperation conditional when conditional.WhenFalse is { } whenFalse:
                return Concat(Flags(conditional.WhenTrue, control), Flags(whenFalse, control));
            case ISwitchExpressionOperation switchExpression:
                var arms = new List<(IOperation, int)>();
                foreach (var arm in switchExpression.Arms) arms.AddRange(Flags(arm.Value, control));
                return arms;
            default:
                return KnownTypes.Is(operation.Type, control as INamedTypeSymbol) && operation.ConstantValue is { HasValue: true, Value: { } value }
                    ? [(operation, System.Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture))]
                    : [];
        }
    }

    private static List<(IOperation, int)> Concat(IEnumerable<(IOperation, int)> first, IEnumerable<(IOperation, int)> second)
    {
        var all = new List<(IOperation, int)>(first);
        all.AddRange(second);
        return all;
    }
}
