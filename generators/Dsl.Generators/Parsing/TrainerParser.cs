using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generators.Parsing;

/// <summary>
/// Reads a <c>[Trainer]</c> class into a <see cref="TrainerModel"/>: finds the model and arguments
/// members and the attributed methods, checks what the emitter relies on, and reports what stops it.
/// </summary>
internal static partial class TrainerParser
{
    /// <summary>Members the generator writes; a user member with one of these names would clash.</summary>
    private static readonly string[] GeneratedMembers =
        ["Train", "Evaluate", "Predict", "State", "__state", "__log", "__run", "__Log", "__LogEvaluateSave", "__EvaluationLoop"];

    public static bool IsCandidate(SyntaxNode node, CancellationToken _) => node is ClassDeclarationSyntax;

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var known = new KnownTypes(context.SemanticModel.Compilation);
        var diagnostics = new List<DiagnosticInfo>();

        // Not partial (DSL001, DSL002) and no [TrainStep] (DSL004) have code fixes, so the analyzers
        // report them; the generator only declines to generate.
        bool blocked = !IsPartial(type) || HasNonPartialContainingType(type);
        // Its own type parameters only: a trainer nested in a generic class is concrete (the generator writes the
        // containing types' parameter lists as they are).
        if (type.TypeParameters.Length > 0)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TrainerIsGeneric, type, type.Name));
        if (BaseTrainer(type) is { } baseTrainer)
        {
            // The one mistake is the hierarchy; what the class lacks because its base has it is not another.
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TrainerDerivesFromTrainer, BaseListLocation(type) ?? type.Locations[0],
                type.Name, baseTrainer.Name));
            return new ParseResult(null, diagnostics.ToEquatableArray());
        }
        foreach (var member in type.GetMembers())
        {
            if (System.Array.IndexOf(GeneratedMembers, member.Name) >= 0 && !member.IsImplicitlyDeclared && member.Locations.Any(l => l.IsInSource)
                && !IsGenerated(member))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReservedMemberName, member, type.Name, member.Name));
        }
        // A plain base class's member with a generated name would be hidden by it (CS0108 inside generated code).
        if (!blocked)
            for (var b = type.BaseType; b is not null && b.SpecialType != SpecialType.System_Object; b = b.BaseType)
                foreach (var member in b.GetMembers())
                    if (System.Array.IndexOf(GeneratedMembers, member.Name) >= 0 && !member.IsImplicitlyDeclared && !member.IsStatic
                        && member.DeclaredAccessibility != Accessibility.Private)
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReservedMemberName, BaseListLocation(type) ?? type.Locations[0],
                            type.Name, $"{b.Name}.{member.Name}"));

        var model = FindModel(type, known, diagnostics, ct);
        var arguments = FindArguments(type, known, diagnostics, ct);
        var methods = ReadMethods(type, known, diagnostics, ct);

        blocked |= methods.TrainStepSymbol is null || methods.HookReturnsOtherType;

        if (methods.TrainStep is { } train && methods.EvalStep is { } eval && eval.BatchType != train.BatchType)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EvalBatchMismatch, methods.EvalStepSymbol!,
                eval.MethodName, Display(methods.EvalStepSymbol!.Parameters[0].Type), train.MethodName, Display(methods.TrainStepSymbol!.Parameters[0].Type)));

        CheckMetricsHaveLogits(methods, diagnostics);
        CheckSchedulerTakesOptimizer(methods, known, diagnostics);

        bool hasErrors = diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
        if (hasErrors || blocked || model is null || arguments is null || methods.TrainStep is null)
            return new ParseResult(null, Reported(diagnostics), Declined(type, diagnostics, methods));

        var trainer = new TrainerModel(
            Namespace: type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
            TypeName: type.Name,
            ContainingTypes: ContainingTypes(type).ToEquatableArray(),
            Model: model,
            Arguments: arguments,
            TrainStep: methods.TrainStep,
            EvalStep: methods.EvalStep,
            Optimizer: methods.Optimizer,
            Scheduler: methods.Scheduler,
            Metrics: methods.Metrics.ToEquatableArray(),
            Hooks: methods.Hooks.ToEquatableArray(),
            EntryAccessibility: EntryAccessibility(type, methods.TrainStepSymbol!.Parameters[0].Type, known),
            HasHookState: type.AllInterfaces.Any(i => i.ToDisplayString() == KnownNames.IHookState));
        return new ParseResult(trainer, Reported(diagnostics));
    }

    /// <summary>
    /// What the generator reports itself: all it found but the rules with code fixes, which
    /// <see cref="Analyzers.TrainerMembersAnalyzer"/> reports from the same checks (a code fix needs an analyzer's
    /// diagnostic). The generator still declines on them.
    /// </summary>
    private static EquatableArray<DiagnosticInfo> Reported(List<DiagnosticInfo> diagnostics) =>
        diagnostics.Where(d => !Analyzers.TrainerMembersAnalyzer.Reports(d.Descriptor)).ToEquatableArray();

    /// <summary>
    /// The stubs of a trainer that cannot be generated (see <see cref="DeclinedTrainer"/>), or null when the class
    /// or a containing type is not partial: then nothing can be added to it (DSL001/DSL002 say so).
    /// </summary>
    private static DeclinedTrainer? Declined(INamedTypeSymbol type, List<DiagnosticInfo> diagnostics, Methods methods)
    {
        // Not partial: nothing can be added. A name not typed yet: nothing to add to.
        if (!IsPartial(type) || HasNonPartialContainingType(type) || !IsNamed(type)) return null;
        var reasons = diagnostics.Where(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error).Select(d => d.Descriptor.Id).ToList();
        if (methods.TrainStepSymbol is null) reasons.Add(DiagnosticDescriptors.MissingTrainStep.Id);
        if (methods.HookReturnsOtherType) reasons.Add(DiagnosticDescriptors.HookReturnType.Id);
        var userMembers = type.GetMembers()
            .Where(m => System.Array.IndexOf(GeneratedMembers, m.Name) >= 0 && !m.IsImplicitlyDeclared && !IsGenerated(m))
            .Select(m => m.Name).Distinct();
        string name = type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
        string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
        string prefix = ns is null ? "" : ns + ".";
        foreach (var outer in ContainingTypes(type)) prefix += outer.Name + ".";
        return new DeclinedTrainer(ns, name, HintName(prefix + type.Name), ContainingTypes(type).ToEquatableArray(),
            reasons.Distinct().OrderBy(id => id, System.StringComparer.Ordinal).ToEquatableArray(), userMembers.ToEquatableArray());
    }

    /// <summary>A hint name is a file name (see <see cref="TrainerModel.FileName"/>).</summary>
    private static string HintName(string fullName) =>
        TrainerModel.FileName(fullName) + ".Trainer.g.cs";

    /// <summary>
    /// The nearest base class marked [Trainer]. Inheritance means: a plain base class may hold the model, the
    /// arguments and helpers, which the loop reads when they are not private; the steps, optimizer, scheduler,
    /// metrics and hooks are the [Trainer] class's own declared (or overriding) methods. Two trainers in one
    /// hierarchy would each have a generated loop, one hiding the other's (CS0108), so that is refused (DSL034).
    /// </summary>
    internal static INamedTypeSymbol? BaseTrainer(INamedTypeSymbol type)
    {
        for (var b = type.BaseType; b is not null; b = b.BaseType)
            if (b.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.TrainerAttribute)) return b;
        return null;
    }

    /// <summary>The base class in the declaration's base list, where inheritance rules point.</summary>
    private static Location? BaseListLocation(INamedTypeSymbol type)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
            if (reference.GetSyntax() is TypeDeclarationSyntax { BaseList.Types: { Count: > 0 } types }) return types[0].Type.GetLocation();
        return null;
    }

    private static bool HasNonPartialContainingType(INamedTypeSymbol type)
    {
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            if (!IsPartial(outer)) return true;
        return false;
    }

    internal static bool IsPartial(INamedTypeSymbol type) =>
        type.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));

    private static bool IsGenerated(ISymbol symbol) =>
        symbol.Locations.All(l => l.SourceTree?.FilePath.EndsWith(".g.cs", System.StringComparison.OrdinalIgnoreCase) == true);

    private static IEnumerable<ContainingType> ContainingTypes(INamedTypeSymbol type)
    {
        var chain = new List<ContainingType>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            chain.Insert(0, new ContainingType(Keyword(outer), outer.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
        return chain;
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    /// <summary>
    /// The keyword for the generated Train/Evaluate/Predict, which take lists of the example type: <c>public</c>
    /// unless the example type (or a type in it) is less accessible than the trainer, in which case the entry
    /// points get the accessibility the example allows (an internal example makes them internal) instead of
    /// failing with CS0051 inside generated code.
    /// </summary>
    private static string EntryAccessibility(INamedTypeSymbol trainer, ITypeSymbol batch, KnownTypes known)
    {
        var example = known.ExampleTypeOf(batch);
        if (example is null) return "public";
        var allowed = Effective(example);
        if (Rank(allowed) >= Rank(Effective(trainer))) return "public";
        return allowed switch
        {
            Accessibility.Internal => "internal",
            Accessibility.Protected => "protected",
            Accessibility.ProtectedOrInternal => "protected internal",
            Accessibility.ProtectedAndInternal => "private protected",
            _ => "private",
        };
    }

    /// <summary>Where a type can be used from: the narrowest of its own, its containing types' and its type arguments' accessibility.</summary>
    private static Accessibility Effective(ITypeSymbol type)
    {
        var result = Accessibility.Public;
        switch (type)
        {
            case IArrayTypeSymbol array:
                return Effective(array.ElementType);
            case ITypeParameterSymbol:
                return result;
            case INamedTypeSymbol named:
                for (var t = named; t is not null; t = t.ContainingType)
                    result = Narrowest(result, t.DeclaredAccessibility);
                foreach (var argument in named.TypeArguments)
                    result = Narrowest(result, Effective(argument));
                return result;
            default:
                return result;
        }
    }

    private static Accessibility Narrowest(Accessibility a, Accessibility b)
    {
        if ((a, b) is (Accessibility.Protected, Accessibility.Internal) or (Accessibility.Internal, Accessibility.Protected))
            return Accessibility.ProtectedAndInternal;
        return Rank(a) <= Rank(b) ? a : b;
    }

    private static int Rank(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Public or Accessibility.NotApplicable => 4,
        Accessibility.ProtectedOrInternal => 3,
        Accessibility.Internal or Accessibility.Protected => 2,
        Accessibility.ProtectedAndInternal => 1,
        _ => 0,
    };

    internal static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);

    internal static string FullyQualified(ITypeSymbol type) =>
        type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithMiscellaneousOptions(
            SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier));
}
