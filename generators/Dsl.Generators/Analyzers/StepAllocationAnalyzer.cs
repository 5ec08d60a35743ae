using System.Collections.Generic;
using System.Collections.Immutable;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// DSL103: a <c>[TrainStep]</c> (or a method of the class it calls) that creates an optimizer, a
/// learning-rate schedule, a module (an <c>nn.Module</c> subclass) or a <c>DataLoader</c> — with
/// <c>new</c> or a TorchSharp/Dsl factory such as <c>optim.AdamW(...)</c> or <c>nn.Linear(...)</c>.
/// A new optimizer each step loses its state (Adam's moments), a new module trains nothing, and every
/// one of them allocates native memory per step.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StepAllocationAnalyzer : StepScopeAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.AllocationInStep);

    internal override void Inspect(IOperation operation, AnalyzerSymbols symbols, List<Finding> findings)
    {
        ITypeSymbol? created = operation switch
        {
            IObjectCreationOperation creation => creation.Type,
            IInvocationOperation { TargetMethod: { IsStatic: true } factory } when IsLibraryFactory(factory) => factory.ReturnType,
            _ => null,
        };
        if (created is null || Kind(created, symbols) is not { } kind || IsCreatedOnce(operation)) return;
        findings.Add(new Finding(DiagnosticDescriptors.AllocationInStep, operation.Syntax.GetLocation(),
            kind, created.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
    }

    /// <summary>
    /// Created once and cached in a field or property: <c>_loss ??= nn.CrossEntropyLoss()</c>, or
    /// <c>_loss ?? (_loss = nn.CrossEntropyLoss())</c>. Only the first step creates it.
    /// </summary>
    private static bool IsCreatedOnce(IOperation operation)
    {
        var value = operation;
        while (value.Parent is IConversionOperation or IParenthesizedOperation) value = value.Parent;
        if (value.Parent is ICoalesceAssignmentOperation coalesce && coalesce.Value == value) return IsMemberReference(coalesce.Target);
        if (value.Parent is ISimpleAssignmentOperation assignment && assignment.Value == value && IsMemberReference(assignment.Target))
        {
            var outer = assignment.Parent;
            while (outer is IConversionOperation or IParenthesizedOperation) outer = outer.Parent;
            return outer is ICoalesceOperation;
        }
        return false;
    }

    private static bool IsMemberReference(IOperation target) => target is IFieldReferenceOperation or IPropertyReferenceOperation;

    /// <summary>A static method of TorchSharp or of the DSL's runtime (user helpers may cache what they return).</summary>
    private static bool IsLibraryFactory(IMethodSymbol method)
    {
        var ns = method.ContainingNamespace;
        while (ns is { ContainingNamespace.IsGlobalNamespace: false }) ns = ns.ContainingNamespace;
        return ns is { IsGlobalNamespace: false, Name: "TorchSharp" or "Dsl" };
    }

    private static string? Kind(ITypeSymbol type, AnalyzerSymbols symbols)
    {
        var known = symbols.Known;
        if (KnownTypes.IsOrDerivesFrom(type, known.Optimizer)) return "optimizer";
        if (KnownTypes.IsOrDerivesFrom(type, known.LRScheduler)) return "schedule";
        if (KnownTypes.IsOrDerivesFrom(type, known.Module)) return "module";
        if (KnownTypes.Is(type, symbols.DataLoader)) return "data loader";
        return null;
    }
}
