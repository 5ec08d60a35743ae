using System.Collections.Generic;
using System.Collections.Immutable;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// DSL031: a <c>[TrainStep]</c> (or a method of the class it calls) that calls <c>backward()</c>,
/// <c>optimizer.step()</c>, <c>zero_grad()</c> or <c>scheduler.step()</c>: the generated loop calls
/// <c>backward()</c> on every micro-batch's loss and the others once per optimizer step, so the user's
/// call would make it happen twice.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StepCallsAnalyzer : StepScopeAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.StepDoesLoopWork);

    internal override void Inspect(IOperation operation, AnalyzerSymbols symbols, List<Finding> findings)
    {
        if (operation is not IInvocationOperation invocation) return;
        if (LoopCall(invocation, symbols) is { } call)
            findings.Add(new Finding(DiagnosticDescriptors.StepDoesLoopWork, invocation.Syntax.GetLocation(), call, HowOften(call)));
    }

    /// <summary>How often the loop makes <paramref name="call"/> (a <see cref="LoopCall"/> name): what the messages say.</summary>
    internal static string HowOften(string call) => call == "backward()"
        ? "once per micro-batch, on the loss the step returns"
        : "once per optimizer step (every GradientAccumulationSteps batches)";

    /// <summary>How the message names the call, or null when the loop does not make it.</summary>
    internal static string? LoopCall(IInvocationOperation invocation, AnalyzerSymbols symbols)
    {
        var method = invocation.TargetMethod;
        var known = symbols.Known;
        var receiver = invocation.Instance?.Type ?? method.ContainingType;
        switch (method.Name)
        {
            case "backward" when symbols.IsTensor(receiver) || KnownTypes.Is(method.ContainingType, symbols.Autograd):
                return "backward()";
            case "step" when KnownTypes.IsOrDerivesFrom(receiver, known.Optimizer):
                return "optimizer.step()";
            case "step" when KnownTypes.IsOrDerivesFrom(receiver, known.LRScheduler):
                return "scheduler.step()";
            case "zero_grad" when KnownTypes.IsOrDerivesFrom(receiver, known.Optimizer) || KnownTypes.IsOrDerivesFrom(receiver, known.Module):
                return "zero_grad()";
            default:
                return null;
        }
    }
}
