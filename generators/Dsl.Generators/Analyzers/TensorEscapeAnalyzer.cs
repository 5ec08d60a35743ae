using System.Collections.Generic;
using System.Collections.Immutable;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// DSL102: a tensor created inside a <c>[TrainStep]</c> (or a method of the class it calls) that is
/// kept after the step: assigned to a field or property of the trainer or to a static, added to a
/// collection held in one, or captured by a lambda that is stored there (or subscribed to an event).
/// The step's dispose scope frees it when the step ends, so the stored reference dangles. Moving it
/// out on purpose (<c>DetachFromDisposeScope()</c>, <c>MoveToOuterDisposeScope()</c>) is silent.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TensorEscapeAnalyzer : StepScopeAnalyzer
{
    private static readonly ImmutableHashSet<string> CollectionAdds =
        ImmutableHashSet.Create("Add", "Insert", "Enqueue", "Push", "AddFirst", "AddLast", "TryAdd");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.TensorEscapesStep);

    internal override void Inspect(IOperation operation, AnalyzerSymbols symbols, List<Finding> findings)
    {
        switch (operation)
        {
            case IAssignmentOperation assignment when StorageName(assignment.Target) is { } target:
                Check(assignment.Value, target, assignment, symbols, findings);
                break;
            case IEventAssignmentOperation { Adds: true } subscription when StorageName(subscription.EventReference) is { } target:
                Check(subscription.HandlerValue, target, subscription, symbols, findings);
                break;
            case IInvocationOperation { Instance: { } instance } invocation
                when CollectionAdds.Contains(invocation.TargetMethod.Name) && StorageName(Unwrap(instance)) is { } collection:
                foreach (var argument in invocation.Arguments)
                    Check(argument.Value, collection, invocation, symbols, findings);
                break;
        }
    }

    private static void Check(IOperation value, string target, IOperation store, AnalyzerSymbols symbols, List<Finding> findings)
    {
        value = Unwrap(value);
        if (symbols.IsTensor(value.Type) && IsCreatedHere(value))
            findings.Add(new Finding(DiagnosticDescriptors.TensorEscapesStep, store.Syntax.GetLocation(), "a tensor it creates", target));
        else if (value is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } && CapturedTensor(lambda, symbols) is { } captured)
            findings.Add(new Finding(DiagnosticDescriptors.TensorEscapesStep, store.Syntax.GetLocation(), $"a lambda capturing the tensor '{captured}'", target));
    }

    /// <summary>
    /// A field or property of the trainer (through fields and properties of <c>this</c>), a static
    /// one, or an element of either: where a value outlives the step. Null for locals, parameters and
    /// members of objects the step was handed or made.
    /// </summary>
    private static string? StorageName(IOperation target)
    {
        if (target is IArrayElementReferenceOperation element) target = Unwrap(element.ArrayReference);
        if (target is IPropertyReferenceOperation { Property.IsIndexer: true } indexer && indexer.Instance is { } indexed)
            target = Unwrap(indexed);
        if (target is not (IFieldReferenceOperation or IPropertyReferenceOperation or IEventReferenceOperation)) return null;
        var member = (IMemberReferenceOperation)target;
        for (var receiver = member.Instance; receiver is not null; receiver = ((IMemberReferenceOperation)receiver).Instance)
        {
            receiver = Unwrap(receiver);
            if (receiver is IInstanceReferenceOperation) break;
            if (receiver is not (IFieldReferenceOperation or IPropertyReferenceOperation)) return null;
        }
        return member.Member.Name;
    }

    /// <summary>
    /// A tensor the step made: the result of a call or an operator, or a local holding one. Tensors
    /// read from fields, properties (the batch's) or parameters were made elsewhere; a tensor moved out
    /// of the scope on purpose is not in it.
    /// </summary>
    private static bool IsCreatedHere(IOperation value) => value switch
    {
        IInvocationOperation { TargetMethod.Name: "DetachFromDisposeScope" or "MoveToOuterDisposeScope" } => false,
        IInvocationOperation or IBinaryOperation or IUnaryOperation or IObjectCreationOperation or ILocalReferenceOperation => true,
        IConditionalOperation conditional => IsCreatedHere(Unwrap(conditional.WhenTrue))
                                             || (conditional.WhenFalse is { } whenFalse && IsCreatedHere(Unwrap(whenFalse))),
        _ => false,
    };

    /// <summary>A tensor local or parameter declared outside <paramref name="lambda"/> that it uses.</summary>
    private static string? CapturedTensor(IAnonymousFunctionOperation lambda, AnalyzerSymbols symbols)
    {
        foreach (var operation in lambda.Body.Descendants())
        {
            ISymbol? variable = operation switch
            {
                ILocalReferenceOperation local when symbols.IsTensor(local.Local.Type) => local.Local,
                IParameterReferenceOperation parameter when symbols.IsTensor(parameter.Parameter.Type) => parameter.Parameter,
                _ => null,
            };
            if (variable is not null && !IsInside(variable.ContainingSymbol, lambda.Symbol)) return variable.Name;
        }
        return null;
    }

    private static bool IsInside(ISymbol? symbol, ISymbol lambda)
    {
        for (; symbol is not null; symbol = symbol.ContainingSymbol)
            if (SymbolEqualityComparer.Default.Equals(symbol, lambda)) return true;
        return false;
    }
}
