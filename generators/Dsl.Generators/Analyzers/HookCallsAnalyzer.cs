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
/// DSL049: a hook (or a method of the class it calls) that does the loop's work, as DSL031 says for the
/// <c>[TrainStep]</c>: <c>backward()</c> adds gradients to the window being accumulated (or, after the loop's
/// <c>zero_grad()</c>, to the next one), <c>optimizer.step()</c> updates the weights a second time and
/// <c>scheduler.step()</c> runs the schedule ahead, in any hook that runs during training. <c>zero_grad()</c> is a
/// mistake only where the window's gradients wait for the optimizer ([OnSubstepEnd], [OnPreOptimizerStep]); elsewhere
/// it repeats the loop's and changes nothing. [OnTrainEnd] runs after the loop: what it does is not the loop's work.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HookCallsAnalyzer : StepScopeAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.HookDoesLoopWork);

    internal override void Inspect(IOperation operation, AnalyzerSymbols symbols, List<Finding> findings)
    {
        if (operation is IInvocationOperation invocation && StepCallsAnalyzer.LoopCall(invocation, symbols) is { } call)
            findings.Add(new Finding(DiagnosticDescriptors.HookDoesLoopWork, invocation.Syntax.GetLocation(), call, StepCallsAnalyzer.HowOften(call)));
    }

    internal override IEnumerable<(IMethodSymbol Root, string Name)> Roots(INamedTypeSymbol type, AnalyzerSymbols symbols)
    {
        foreach (var (attribute, kind, _, shortName) in TrainerParser.HookAttributes)
        {
            if (kind == HookKind.TrainEnd) continue;
            var hookAttribute = Attribute(symbols, attribute);
            foreach (var hook in AnalyzerSymbols.MethodsWith(type, hookAttribute))
                yield return (hook, $"[{shortName}] '{hook.Name}'");
        }
    }

    internal override bool Applies(Finding finding, IMethodSymbol root)
    {
        if (finding.Arguments[0] != "zero_grad()") return true;
        foreach (var attribute in root.GetAttributes())
            if (attribute.AttributeClass?.ToDisplayString() is KnownNames.OnSubstepEndAttribute or KnownNames.OnPreOptimizerStepAttribute) return true;
        return false;
    }

    private static INamedTypeSymbol? Attribute(AnalyzerSymbols symbols, string metadataName)
    {
        foreach (var pair in symbols.HookAttributes)
            if (pair.Key.ToDisplayString() == metadataName) return pair.Key;
        return null;
    }
}
