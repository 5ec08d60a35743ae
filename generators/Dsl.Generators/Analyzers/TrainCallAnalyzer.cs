using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// DSL041: a call of a trainer's <c>Train</c> without an evaluation dataset, in a method that creates its
/// <c>TrainingArguments</c> with a constant <c>EvalStrategy</c> other than No. The run would throw when it starts
/// ("EvalStrategy ... needs an evaluation dataset"). Decided only when the method creates exactly one
/// TrainingArguments (the one the trainer most likely gets); otherwise nothing is said.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TrainCallAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.TrainWithoutEvalDataset);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (AnalyzerSymbols.Create(start.Compilation) is not { Known.TrainingArguments: { } arguments } symbols) return;
            start.RegisterOperationBlockAction(block =>
            {
                var operations = block.OperationBlocks.SelectMany(b => b.DescendantsAndSelf()).ToList();
                var calls = operations.OfType<IInvocationOperation>().Where(i => IsTrainWithoutEval(i, symbols)).ToList();
                if (calls.Count == 0) return;
                if (OnlyArgumentsCreated(operations, arguments) is not { } values || !values.TryGetInt("EvalStrategy", out int strategy) || strategy == 0) return;
                string name = EnumName(symbols.IntervalStrategy, strategy);
                foreach (var call in calls)
                    block.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.TrainWithoutEvalDataset, block.Options, call.Syntax.GetLocation(),
                        call.TargetMethod.ContainingType.Name + ".Train", name));
            });
        });
    }

    /// <summary>
    /// The settings of the one <c>TrainingArguments</c> a method creates (a <c>new</c> or a <c>with</c>, a <c>with</c>'s
    /// own operand not counted), the one its trainer most likely gets; null when it creates none or several.
    /// </summary>
    internal static ArgumentValues? OnlyArgumentsCreated(IEnumerable<IOperation> operations, INamedTypeSymbol arguments)
    {
        ArgumentValues? found = null;
        foreach (var operation in operations)
        {
            if (operation is not (IObjectCreationOperation or IWithOperation) || operation.Parent is IWithOperation
                || ArgumentValues.Resolve(operation, arguments) is not { } values) continue;
            if (found is not null) return null;
            found = values;
        }
        return found;
    }

    /// <summary>A generated <c>Train</c> of a [Trainer] whose evalDataset is left out or null.</summary>
    private static bool IsTrainWithoutEval(IInvocationOperation invocation, AnalyzerSymbols symbols)
    {
        if (invocation.TargetMethod is not { Name: "Train" } method || method.ContainingType is not { } type || !symbols.IsTrainer(type)) return false;
        // evalDataset, or named sets (evalDatasets): any given and not null is an evaluation dataset.
        var evals = invocation.Arguments.Where(a => a.Parameter?.Name.StartsWith("evalDataset", System.StringComparison.Ordinal) == true).ToList();
        if (evals.Count == 0) return false;
        return evals.All(eval => eval.ArgumentKind == ArgumentKind.DefaultValue
            || StepScopeAnalyzer.Unwrap(eval.Value).ConstantValue is { HasValue: true, Value: null });
    }

    private static string EnumName(INamedTypeSymbol? type, int value)
    {
        if (type is not null)
            foreach (var member in type.GetMembers())
                if (member is IFieldSymbol { HasConstantValue: true } field && System.Convert.ToInt32(field.ConstantValue) == value)
                    return "IntervalStrategy." + field.Name;
        return value.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
