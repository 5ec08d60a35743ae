using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

/// <summary>
/// Base of the rules about what runs inside a <c>[TrainStep]</c> (or, for a rule that says so through
/// <see cref="Roots"/>, inside other methods the loop calls, such as hooks): the method's body and every
/// method or property of the same class it calls, directly or through others. Per trainer class
/// (symbol-start), each member's operations are inspected once (operation-block actions) into
/// findings and calls; at symbol-end the members reachable from a root report their findings,
/// naming the root. Nothing outside a <c>[Trainer]</c> class is looked at.
/// </summary>
public abstract class StepScopeAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Something a rule found in one member: reported only if the member runs in a step.</summary>
    internal readonly struct Finding
    {
        public Finding(DiagnosticDescriptor descriptor, Location location, params string[] arguments)
        {
            Descriptor = descriptor;
            Location = location;
            Arguments = arguments;
        }

        public DiagnosticDescriptor Descriptor { get; }
        public Location Location { get; }
        /// <summary>The message's arguments after {0}, which is where the finding runs.</summary>
        public string[] Arguments { get; }
    }

    /// <summary>Adds what <paramref name="operation"/> breaks, if anything. Called for every operation of every member.</summary>
    internal abstract void Inspect(IOperation operation, AnalyzerSymbols symbols, List<Finding> findings);

    /// <summary>
    /// The methods whose reach is inspected, each with how messages name it (<c>[TrainStep] 'Step'</c>). By default the
    /// <c>[TrainStep]</c>; with several (DSL005) the generator uses the first, and so does this.
    /// </summary>
    internal virtual IEnumerable<(IMethodSymbol Root, string Name)> Roots(INamedTypeSymbol type, AnalyzerSymbols symbols)
    {
        var steps = AnalyzerSymbols.MethodsWith(type, symbols.TrainStepAttribute);
        if (!steps.IsEmpty) yield return (steps[0], $"[TrainStep] '{steps[0].Name}'");
    }

    /// <summary>Whether <paramref name="finding"/> is a mistake in code reached from <paramref name="root"/>; by default always.</summary>
    internal virtual bool Applies(Finding finding, IMethodSymbol root) => true;

    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (AnalyzerSymbols.Create(start.Compilation) is not { } symbols || symbols.TrainStepAttribute is null) return;
            start.RegisterSymbolStartAction(symbolStart => OnTrainer(symbolStart, symbols), SymbolKind.NamedType);
        });
    }

    private void OnTrainer(SymbolStartAnalysisContext context, AnalyzerSymbols symbols)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!symbols.IsTrainer(type)) return;
        var roots = new List<(IMethodSymbol Root, string Name)>(Roots(type, symbols));
        if (roots.Count == 0) return;

        var members = new ConcurrentDictionary<ISymbol, MemberFacts>(SymbolEqualityComparer.Default);
        context.RegisterOperationBlockAction(block =>
        {
            var facts = new MemberFacts();
            foreach (var root in block.OperationBlocks)
                foreach (var operation in root.DescendantsAndSelf())
                {
                    block.CancellationToken.ThrowIfCancellationRequested();
                    Inspect(operation, symbols, facts.Findings);
                    if (CalledMember(operation, type) is { } callee) facts.Calls.Add(callee);
                }
            members.GetOrAdd(block.OwningSymbol.OriginalDefinition, _ => new MemberFacts()).Merge(facts);
        });
        context.RegisterSymbolEndAction(end =>
        {
            // A helper reached from several roots reports each finding once, naming the first root that reaches it.
            var reported = new HashSet<Location>();
            foreach (var (root, rootName) in roots)
                foreach (var (member, facts) in Reachable(root, members))
                {
                    string where = SymbolEqualityComparer.Default.Equals(member, root.OriginalDefinition)
                        ? rootName
                        : $"'{MemberName(member)}' (called by {rootName})";
                    foreach (var finding in facts.Findings)
                    {
                        if (!Applies(finding, root) || !reported.Add(finding.Location)) continue;
                        var arguments = new object[finding.Arguments.Length + 1];
                        arguments[0] = where;
                        finding.Arguments.CopyTo(arguments, 1);
                        end.ReportDiagnostic(HelpLinks.Create(finding.Descriptor, end.Options, finding.Location, arguments));
                    }
                }
        });
    }

    /// <summary>The root and every member it reaches through calls within the class, each once.</summary>
    private static IEnumerable<(ISymbol Member, MemberFacts Facts)> Reachable(IMethodSymbol step, ConcurrentDictionary<ISymbol, MemberFacts> members)
    {
        var seen = new HashSet<ISymbol>(SymbolEqualityComparer.Default) { step.OriginalDefinition };
        var queue = new Queue<ISymbol>();
        queue.Enqueue(step.OriginalDefinition);
        while (queue.Count > 0)
        {
            var member = queue.Dequeue();
            if (!members.TryGetValue(member, out var facts)) continue;
            yield return (member, facts);
            foreach (var callee in facts.Calls)
                if (seen.Add(callee)) queue.Enqueue(callee);
        }
    }

    /// <summary>The method or property getter of <paramref name="type"/> that <paramref name="operation"/> calls.</summary>
    private static ISymbol? CalledMember(IOperation operation, INamedTypeSymbol type)
    {
        ISymbol? target = operation switch
        {
            IInvocationOperation invocation => invocation.TargetMethod,
            IPropertyReferenceOperation property => property.Property.GetMethod,
            _ => null,
        };
        if (target is null || !SymbolEqualityComparer.Default.Equals(target.ContainingType?.OriginalDefinition, type)) return null;
        if (target is IMethodSymbol { PartialImplementationPart: { } implementation }) target = implementation;
        return target.OriginalDefinition;
    }

    private static string MemberName(ISymbol member) =>
        member is IMethodSymbol { AssociatedSymbol: IPropertySymbol property } ? property.Name : member.Name;

    /// <summary>What one member's operations hold. Written by one block action, read at symbol end.</summary>
    private sealed class MemberFacts
    {
        public readonly List<Finding> Findings = new();
        public readonly HashSet<ISymbol> Calls = new(SymbolEqualityComparer.Default);

        private readonly object _gate = new();

        public void Merge(MemberFacts other)
        {
            lock (_gate)
            {
                Findings.AddRange(other.Findings);
                Calls.UnionWith(other.Calls);
            }
        }
    }

    /// <summary>The operation without the implicit conversions and parentheses around it.</summary>
    internal static IOperation Unwrap(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation { IsImplicit: true } conversion: operation = conversion.Operand; continue;
                case IParenthesizedOperation parenthesized: operation = parenthesized.Operand; continue;
                default: return operation;
            }
        }
    }
}
