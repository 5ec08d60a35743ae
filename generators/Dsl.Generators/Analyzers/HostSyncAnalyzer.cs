using System.Collections.Generic;
using System.Collections.Immutable;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// DSL101: reading a tensor's values on the host inside a <c>[TrainStep]</c> (or a method of the
/// class it calls): <c>item&lt;T&gt;()</c>, <c>ToSingle()</c> and the other scalar conversions,
/// <c>cpu()</c>, <c>data&lt;T&gt;()</c>, <c>tolist()</c>, <c>ToArray()</c> on a tensor, and a tensor
/// written with <c>Console.Write</c>/<c>WriteLine</c>. Each waits for the device every step; the
/// generated loop keeps the loss on the device and reads it only at logging steps.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HostSyncAnalyzer : StepScopeAnalyzer
{
    private static readonly ImmutableHashSet<string> TensorMethods =
        ImmutableHashSet.Create("item", "cpu", "data", "tolist", "ToScalar", "ToArray");

    private static readonly ImmutableHashSet<string> ScalarConversions = ImmutableHashSet.Create(
        "ToSingle", "ToDouble", "ToHalf", "ToBFloat16", "ToSByte", "ToByte", "ToInt16", "ToInt32", "ToInt64", "ToBoolean",
        "ToComplexFloat32", "ToComplexFloat64", "ToComplex32", "ToComplex64", "ToArray");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.HostSyncInStep);

    internal override void Inspect(IOperation operation, AnalyzerSymbols symbols, List<Finding> findings)
    {
        if (operation is not IInvocationOperation invocation) return;
        if (SyncingCall(invocation, symbols) is { } call)
            findings.Add(new Finding(DiagnosticDescriptors.HostSyncInStep, invocation.Syntax.GetLocation(), call));
        else if (KnownTypes.Is(invocation.TargetMethod.ContainingType, symbols.Console)
                 && invocation.TargetMethod.Name.StartsWith("Write", System.StringComparison.Ordinal))
            FindPrintedTensors(invocation, symbols, findings);
    }

    /// <summary>How the message names a call that reads a tensor on the host, or null.</summary>
    internal static string? SyncingCall(IInvocationOperation invocation, AnalyzerSymbols symbols)
    {
        var method = invocation.TargetMethod;
        bool onTensor = method.IsExtensionMethod
            ? (KnownTypes.Is(method.ContainingType, symbols.TensorExtensionMethods) && ScalarConversions.Contains(method.Name))
              || (method.Name == "ToArray" && invocation.Arguments.Length > 0 && symbols.IsTensor(invocation.Arguments[0].Value.Type))
            : symbols.IsTensor(method.ContainingType) && TensorMethods.Contains(method.Name);
        if (!onTensor) return null;
        return method.IsGenericMethod
            ? $"{method.Name}<{string.Join(", ", TypeNames(method.TypeArguments))}>()"
            : method.Name + "()";
    }

    private static IEnumerable<string> TypeNames(ImmutableArray<ITypeSymbol> types)
    {
        foreach (var type in types) yield return type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
    }

    /// <summary>Tensors formatted by a Console.Write call: converted to object, a hole of an interpolated string, or ToString().</summary>
    private static void FindPrintedTensors(IInvocationOperation write, AnalyzerSymbols symbols, List<Finding> findings)
    {
        var seen = new HashSet<Microsoft.CodeAnalysis.Text.TextSpan>();
        string call = "Console." + write.TargetMethod.Name;
        foreach (var argument in write.Arguments)
            foreach (var operation in argument.Value.DescendantsAndSelf())
            {
                IOperation? printed = operation switch
                {
                    IConversionOperation conversion when symbols.IsTensor(conversion.Operand.Type) && !symbols.IsTensor(conversion.Type) => conversion.Operand,
                    IInterpolationOperation hole when symbols.IsTensor(hole.Expression.Type) => hole.Expression,
                    IInvocationOperation { TargetMethod.Name: "ToString", Instance: { } instance } when symbols.IsTensor(instance.Type) => instance,
                    _ => null,
                };
                if (printed is not null && seen.Add(printed.Syntax.Span))
                    findings.Add(new Finding(DiagnosticDescriptors.HostSyncInStep, printed.Syntax.GetLocation(), call + " of a tensor"));
            }
    }
}
