using System.Collections.Immutable;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// Steps that break autograd, which would otherwise be found only when the loop's <c>backward()</c> runs:
/// a <c>[TrainStep]</c> returning its loss from under <c>no_grad</c> (DSL042), returning a detached loss (DSL043),
/// returning a tensor it disposes itself, by <c>using var</c> or its own dispose scope (DSL044); and an
/// <c>[EvalStep]</c> calling <c>backward()</c> (DSL045). Each is reported in the step's own body.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StepAutogradAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.StepWithoutGradients,
        DiagnosticDescriptors.StepReturnsDetached,
        DiagnosticDescriptors.StepReturnsDisposed,
        DiagnosticDescriptors.EvalStepCallsBackward);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (AnalyzerSymbols.Create(start.Compilation) is not { TrainStepAttribute: { } } symbols) return;
            start.RegisterOperationBlockAction(block =>
            {
                if (block.OwningSymbol is not IMethodSymbol method || method.ContainingType is not { } type || !symbols.IsTrainer(type)) return;
                bool train = AnalyzerSymbols.HasAttribute(method, symbols.TrainStepAttribute);
                bool eval = AnalyzerSymbols.HasAttribute(method, symbols.EvalStepAttribute);
                if (!train && !eval) return;
                foreach (var root in block.OperationBlocks)
                    foreach (var operation in root.DescendantsAndSelf())
                    {
                        block.CancellationToken.ThrowIfCancellationRequested();
                        if (train && operation is IReturnOperation { ReturnedValue: { } returned } ret && !InNestedFunction(ret))
                            CheckReturn(block, method, ret, returned, symbols);
                        if (eval && operation is IInvocationOperation invocation && StepCallsAnalyzer.LoopCall(invocation, symbols) == "backward()")
                            block.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.EvalStepCallsBackward, block.Options,
                                invocation.Syntax.GetLocation(), method.Name));
                    }
            });
        });
    }

    private static void CheckReturn(OperationBlockAnalysisContext block, IMethodSymbol method, IReturnOperation ret, IOperation returned,
        AnalyzerSymbols symbols)
    {
        // What the loop backpropagates or reads: a returned tensor, or the tensors a returned StepOutput is made of.
        var tensors = new System.Collections.Generic.List<IOperation>();
        var value = StepScopeAnalyzer.Unwrap(returned);
        if (value is IObjectCreationOperation { Type.Name: "StepOutput" } output)
            foreach (var argument in output.Arguments) tensors.Add(StepScopeAnalyzer.Unwrap(argument.Value));
        else tensors.Add(value);
        bool loss = true;   // the first is the loss
        foreach (var tensor in tensors)
        {
            if (loss && tensor is IInvocationOperation { TargetMethod.Name: "detach" or "detach_" } detach && symbols.IsTensor(detach.Type))
                block.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.StepReturnsDetached, block.Options, detach.Syntax.GetLocation(),
                    method.Name, detach.Syntax.ToString()));
            if (tensor is ILocalReferenceOperation local && DisposingUsing(ret, local.Local) is not null)
                block.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.StepReturnsDisposed, block.Options, tensor.Syntax.GetLocation(),
                    method.Name, local.Local.Name, $"its 'using' declaration", "drop 'using': the loop's dispose scope frees it after the step"));
            loss = false;
        }

        // Scopes the return statement is inside of.
        for (IOperation? outer = ret; outer is not null; outer = outer.Parent)
        {
            foreach (var resource in Resources(outer, ret))
            {
                var call = StepScopeAnalyzer.Unwrap(resource) is IVariableDeclaratorOperation { Initializer.Value: { } init }
                    ? StepScopeAnalyzer.Unwrap(init) : StepScopeAnalyzer.Unwrap(resource);
                if (call is not IInvocationOperation invocation) continue;
                string name = invocation.TargetMethod.Name;
                if (name is "no_grad" or "inference_mode" || (name == "set_grad_enabled" && IsFalse(invocation)))
                    block.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.StepWithoutGradients, block.Options, invocation.Syntax.GetLocation(),
                        method.Name, invocation.Syntax.ToString()));
                else if (name == "NewDisposeScope" && !MovedOut(value))
                    block.ReportDiagnostic(HelpLinks.Create(DiagnosticDescriptors.StepReturnsDisposed, block.Options, returned.Syntax.GetLocation(),
                        method.Name, returned.Syntax.ToString(), "the step's own dispose scope",
                        "return scope.MoveToOuter(...) or remove the scope: the loop already has one per step"));
            }
        }
    }

    /// <summary>
    /// The resources of <paramref name="scope"/> that are still alive at <paramref name="ret"/>: a <c>using (...)</c>
    /// statement's, or the <c>using var</c> declarations of a block that come before the statement holding the return.
    /// </summary>
    private static System.Collections.Generic.IEnumerable<IOperation> Resources(IOperation scope, IOperation ret)
    {
        if (scope is IUsingOperation { Resources: { } resources })
        {
            if (resources is IVariableDeclarationGroupOperation group)
                foreach (var declaration in group.Declarations)
                    foreach (var declarator in declaration.Declarators) yield return declarator;
            else yield return resources;
        }
        if (scope is IBlockOperation block)
        {
            foreach (var statement in block.Operations)
            {
                if (statement.Syntax.SpanStart >= ret.Syntax.SpanStart) break;
                if (statement is IUsingDeclarationOperation { DeclarationGroup: { } declared })
                    foreach (var declaration in declared.Declarations)
                        foreach (var declarator in declaration.Declarators) yield return declarator;
            }
        }
    }

    /// <summary>The using that disposes <paramref name="local"/> when <paramref name="ret"/> leaves it, if any.</summary>
    private static IOperation? DisposingUsing(IOperation ret, ILocalSymbol local)
    {
        for (IOperation? outer = ret; outer is not null; outer = outer.Parent)
            foreach (var resource in Resources(outer, ret))
                if (resource is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                    return resource;
        return null;
    }

    /// <summary>A return of a lambda or local function inside the step returns nothing to the loop.</summary>
    private static bool InNestedFunction(IOperation operation)
    {
        for (var outer = operation.Parent; outer is not null; outer = outer.Parent)
            if (outer is IAnonymousFunctionOperation or ILocalFunctionOperation) return true;
        return false;
    }

    private static bool IsFalse(IInvocationOperation invocation) =>
        invocation.Arguments.Length > 0 && invocation.Arguments[0].Value.ConstantValue is { HasValue: true, Value: false };

    /// <summary><c>scope.MoveToOuter(x)</c> or <c>x.MoveToOuterDisposeScope()</c> (or a StepOutput of such).</summary>
    private static bool MovedOut(IOperation value)
    {
        if (value is IInvocationOperation { TargetMethod.Name: "MoveToOuter" or "MoveToOuterDisposeScope" or "DetachFromDisposeScope" }) return true;
        if (value is IObjectCreationOperation { Type.Name: "StepOutput" } output)
        {
            foreach (var argument in output.Arguments)
                if (!MovedOut(StepScopeAnalyzer.Unwrap(argument.Value))) return false;
            return true;
        }
        return false;
    }
}
