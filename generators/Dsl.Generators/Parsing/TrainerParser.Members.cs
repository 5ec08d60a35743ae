using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Dsl.Generators.Diagnostics;
using Dsl.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generators.Parsing;

internal static partial class TrainerParser
{
    /// <summary>A field, property or primary-constructor parameter the trainer holds.</summary>
    /// <param name="PassedToBase">A primary-constructor parameter also passed to the base class's constructor.</param>
    /// <param name="CapturedByClass">Such a parameter that the class's own code also captures (reads outside initializers).</param>
    private sealed record Candidate(ISymbol Symbol, string Name, ITypeSymbol Type, bool IsPrimaryParameter, bool MarkedModel,
        bool PassedToBase = false, bool CapturedByClass = false);

    internal static MemberModel? FindModel(INamedTypeSymbol type, KnownTypes known, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var candidates = Candidates(type, known, ct);
        var modules = candidates.Where(c => KnownTypes.IsOrDerivesFrom(c.Type, known.Module)).ToList();
        var marked = modules.Where(c => c.MarkedModel).ToList();
        var chosen = marked.Count > 0 ? marked : modules;
        if (chosen.Count == 1) return LoopMember(chosen[0], type);
        if (chosen.Count == 0)
        {
            // A generic trainer whose model is a type parameter is DSL003's; saying "no model" as well would be a second error.
            if (type.TypeParameters.Length > 0 && candidates.Any(c => c.Type is ITypeParameterSymbol)) return null;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingModel, type, type.Name, StaticModules(type, known)));
        }
        else
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AmbiguousModel, type, type.Name,
                string.Join(", ", chosen.Select(c => c.Name))));
        return null;
    }

    /// <summary>DSL013's hint when the only modules are static: the loop trains an instance's model.</summary>
    private static string StaticModules(INamedTypeSymbol type, KnownTypes known)
    {
        var statics = type.GetMembers()
            .Where(m => m.IsStatic && !m.IsImplicitlyDeclared && m is IFieldSymbol or IPropertySymbol
                && KnownTypes.IsOrDerivesFrom(m is IFieldSymbol f ? f.Type : ((IPropertySymbol)m).Type, known.Module))
            .Select(m => m.Name).ToList();
        return statics.Count == 0
            ? ""
            : $"; '{string.Join("', '", statics)}' is static, but the model must be an instance member (remove 'static')";
    }

    /// <summary>
    /// The primary-constructor parameters the generated loop reads, or would read once the declaration's errors are
    /// fixed: the TrainingArguments and the model (the [Model] ones when any is marked, else every nn.Module, and in a
    /// generic trainer a parameter whose type is a type parameter). Parameters passed to the base class are not among
    /// them: passing is a read. See <see cref="Analyzers.UnreadLoopParameterSuppressor"/>.
    /// </summary>
    internal static IEnumerable<IParameterSymbol> ParametersTheLoopReads(INamedTypeSymbol type, KnownTypes known, CancellationToken ct)
    {
        var candidates = Candidates(type, known, ct);
        var modules = candidates.Where(c => KnownTypes.IsOrDerivesFrom(c.Type, known.Module)
            || (c.Type is ITypeParameterSymbol parameter && MayBeModule(parameter, known))).ToList();
        if (modules.Any(c => c.MarkedModel)) modules = modules.Where(c => c.MarkedModel).ToList();
        return modules.Concat(candidates.Where(c => KnownTypes.Is(c.Type, known.TrainingArguments)))
            .Where(c => c.IsPrimaryParameter && !c.PassedToBase)
            .Select(c => c.Symbol).OfType<IParameterSymbol>();
    }

    /// <summary>A type parameter the model could be given as: unconstrained, or constrained to a module.</summary>
    private static bool MayBeModule(ITypeParameterSymbol parameter, KnownTypes known) =>
        parameter.ConstraintTypes.IsEmpty || parameter.ConstraintTypes.Any(t => KnownTypes.IsOrDerivesFrom(t, known.Module));

    private static MemberModel? FindArguments(INamedTypeSymbol type, KnownTypes known, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var found = Candidates(type, known, ct).Where(c => KnownTypes.Is(c.Type, known.TrainingArguments)).ToList();
        if (found.Count == 1) return LoopMember(found[0], type);
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingArguments, type, type.Name,
            found.Count == 0
                ? "has no field, property or primary-constructor parameter of type TrainingArguments"
                : $"has several TrainingArguments members ({string.Join(", ", found.Select(c => c.Name))}); keep one"));
        return null;
    }

    /// <summary>
    /// The member the loop reads. A primary-constructor parameter that is also passed to the base constructor would be
    /// stored twice if the loop's methods read it (C#'s CS9107), so the loop reads a field the generated code
    /// initializes from it, which stores it once and captures nothing. When the class's own code captures it anyway,
    /// C# already warns there, on the user's line, and the loop reads the parameter as that code does (a field
    /// initializer beside a capture would add CS9124 inside generated code).
    /// </summary>
    private static MemberModel LoopMember(Candidate c, INamedTypeSymbol type)
    {
        if (!c.PassedToBase || c.CapturedByClass) return ToMember(c);
        string field = "__" + c.Name;
        while (System.Array.IndexOf(GeneratedMembers, field) >= 0 || type.GetMembers(field).Length > 0) field += "_";
        return ToMember(c) with { Field = field };
    }

    private static MemberModel ToMember(Candidate c) => new(c.Name, FullyQualified(c.Type), c.IsPrimaryParameter);

    /// <summary>
    /// Instance fields, properties and primary-constructor parameters of the class, and the non-private fields and
    /// properties it inherits from a plain base class. One value counts once: a member that only returns or stores
    /// another (<c>Net Model =&gt; model;</c>, <c>Net Model { get; } = model ?? throw ...;</c>, <c>Net Model =&gt; _model;</c>)
    /// is an alias, and the value counts as the member it is stored in (a parameter stored in a field counts as the
    /// field; a parameter passed to the base class counts as the base class's member of its type, when there is one).
    /// </summary>
    private static List<Candidate> Candidates(INamedTypeSymbol type, KnownTypes known, CancellationToken ct)
    {
        var members = new List<Candidate>();
        var aliasOf = new Dictionary<string, string>();
        for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
        {
            bool inherited = !SymbolEqualityComparer.Default.Equals(t, type);
            foreach (var member in t.GetMembers())
            {
                ct.ThrowIfCancellationRequested();
                if (member.IsStatic || member.IsImplicitlyDeclared) continue;
                if (inherited && !VisibleToDerived(member, type)) continue;
                ITypeSymbol? memberType = member switch
                {
                    IFieldSymbol field => field.Type,
                    IPropertySymbol property when !property.IsIndexer && property.GetMethod is not null => property.Type,   // the loop reads it
                    _ => null,
                };
                if (memberType is null || !IsNamed(member) || members.Any(m => m.Name == member.Name)) continue;   // hidden by the derived class
                members.Add(new Candidate(member, member.Name, memberType, false, HasAttribute(member, known.ModelAttribute)));
                if (!inherited && AliasedName(member, ct) is { } target) aliasOf[member.Name] = target;
            }
        }

        // An alias of another member: the value counts once, as the member it reads; a [Model] mark goes with it.
        var result = new List<Candidate>();
        foreach (var member in members)
        {
            if (aliasOf.TryGetValue(member.Name, out var target) && target != member.Name
                && members.FindIndex(m => m.Name == target && SymbolEqualityComparer.Default.Equals(m.Type, member.Type)) is var index and >= 0)
            {
                if (member.MarkedModel) members[index] = members[index] with { MarkedModel = true };
                continue;
            }
            result.Add(member);
        }
        result = result.Select(r => members.First(m => m.Name == r.Name)).ToList();

        var stored = new HashSet<string>(aliasOf.Values);
        var passedToBase = BaseConstructorArguments(type, ct);
        foreach (var constructor in type.InstanceConstructors)
        {
            bool primary = constructor.DeclaringSyntaxReferences.Any(r => r.GetSyntax(ct) is TypeDeclarationSyntax);
            if (!primary) continue;
            foreach (var parameter in constructor.Parameters)
            {
                if (stored.Contains(parameter.Name) || !IsNamed(parameter)) continue;
                bool toBase = passedToBase.Contains(parameter.Name);
                // Passed to a base class that keeps it in a member the loop can read: that member is the value.
                if (toBase && result.Any(m => !SymbolEqualityComparer.Default.Equals(m.Symbol.ContainingType, type)
                                              && SymbolEqualityComparer.Default.Equals(m.Type, parameter.Type))) continue;
                result.Add(new Candidate(parameter, parameter.Name, parameter.Type, true, HasAttribute(parameter, known.ModelAttribute), toBase,
                    toBase && CapturedByClass(parameter, type, known.Compilation, ct)));
            }
        }
        return result;
    }

    /// <summary>An inherited member the generated code, written in the derived class, can read.</summary>
    private static bool VisibleToDerived(ISymbol member, INamedTypeSymbol derived) => member.DeclaredAccessibility switch
    {
        Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal => true,
        Accessibility.Internal or Accessibility.ProtectedAndInternal =>
            SymbolEqualityComparer.Default.Equals(member.ContainingAssembly, derived.ContainingAssembly),
        _ => false,
    };

    /// <summary>
    /// The name a member only reads: its initializer, expression body or single <c>return</c>, once <c>?? throw</c>,
    /// <c>!</c>, parentheses and <c>this.</c> are taken away. Null when it computes anything else.
    /// </summary>
    private static string? AliasedName(ISymbol member, CancellationToken ct)
    {
        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            ExpressionSyntax? read = reference.GetSyntax(ct) switch
            {
                VariableDeclaratorSyntax v => v.Initializer?.Value,
                PropertyDeclarationSyntax { ExpressionBody: { } body } => body.Expression,
                PropertyDeclarationSyntax { Initializer: { } initializer } => initializer.Value,
                PropertyDeclarationSyntax { AccessorList: { } accessors } =>
                    accessors.Accessors.FirstOrDefault(a => a.IsKind(SyntaxKind.GetAccessorDeclaration)) switch
                    {
                        { ExpressionBody: { } getter } => getter.Expression,
                        { Body.Statements: { Count: 1 } statements } when statements[0] is ReturnStatementSyntax { Expression: { } returned } => returned,
                        _ => null,
                    },
                _ => null,
            };
            if (Unwrap(read) is IdentifierNameSyntax id) return id.Identifier.ValueText;
        }
        return null;
    }

    private static ExpressionSyntax? Unwrap(ExpressionSyntax? expression) => expression switch
    {
        ParenthesizedExpressionSyntax p => Unwrap(p.Expression),
        PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } bang => Unwrap(bang.Operand),
        BinaryExpressionSyntax { RawKind: (int)SyntaxKind.CoalesceExpression, Right: ThrowExpressionSyntax } coalesce => Unwrap(coalesce.Left),
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax name } => name,
        _ => expression,
    };

    /// <summary>
    /// Whether the class's own code captures the primary-constructor parameter: reads it in a method, property,
    /// accessor or local function, anywhere but in a field or property initializer, the base class's arguments or
    /// <c>nameof</c> (which run in the constructor or at compile time and store nothing).
    /// </summary>
    private static bool CapturedByClass(IParameterSymbol parameter, INamedTypeSymbol type, Compilation compilation, CancellationToken ct)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree.FilePath.EndsWith(".g.cs", System.StringComparison.OrdinalIgnoreCase)) continue;
            SemanticModel? model = null;
            foreach (var id in reference.GetSyntax(ct).DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                ct.ThrowIfCancellationRequested();
                if (id.Identifier.ValueText != parameter.Name || ReadWithoutCapture(id)) continue;
                model ??= compilation.GetSemanticModel(reference.SyntaxTree);
                if (SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(id, ct).Symbol, parameter)) return true;
            }
        }
        return false;
    }

    private static bool ReadWithoutCapture(IdentifierNameSyntax id)
    {
        if (id.Parent is ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "nameof" } } })
            return true;
        foreach (var ancestor in id.Ancestors())
            switch (ancestor)
            {
                case PrimaryConstructorBaseTypeSyntax:
                case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent.Parent: BaseFieldDeclarationSyntax } }:
                case EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax }:
                    return true;
                case MemberDeclarationSyntax:
                    return false;
            }
        return false;
    }

    /// <summary>The identifiers passed to the base class's primary-constructor call: <c>class T(Net model) : Base(model)</c>.</summary>
    private static HashSet<string> BaseConstructorArguments(INamedTypeSymbol type, CancellationToken ct)
    {
        var names = new HashSet<string>();
        foreach (var reference in type.DeclaringSyntaxReferences)
            if (reference.GetSyntax(ct) is TypeDeclarationSyntax { BaseList: { } bases })
                foreach (var baseType in bases.Types.OfType<PrimaryConstructorBaseTypeSyntax>())
                    foreach (var argument in baseType.ArgumentList.Arguments)
                        foreach (var id in argument.Expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
                            names.Add(id.Identifier.ValueText);
        return names;
    }

    // A member whose name the user has not typed yet (a parse error) cannot be referred to.
    private static bool IsNamed(ISymbol symbol) => SyntaxFacts.IsValidIdentifier(symbol.Name);

    private static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute) =>
        attribute is not null && symbol.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));
}
