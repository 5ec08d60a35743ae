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
    private sealed record Candidate(ISymbol Symbol, string Name, ITypeSymbol Type, bool IsPrimaryParameter, bool MarkedModel);

    private static MemberModel? FindModel(INamedTypeSymbol type, KnownTypes known, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var modules = Candidates(type, known, ct).Where(c => KnownTypes.IsOrDerivesFrom(c.Type, known.Module)).ToList();
        var marked = modules.Where(c => c.MarkedModel).ToList();
        var chosen = marked.Count > 0 ? marked : modules;
        if (chosen.Count == 1) return ToMember(chosen[0]);
        if (chosen.Count == 0)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingModel, type, type.Name));
        else
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AmbiguousModel, type, type.Name,
                string.Join(", ", chosen.Select(c => c.Name))));
        return null;
    }

    private static MemberModel? FindArguments(INamedTypeSymbol type, KnownTypes known, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var found = Candidates(type, known, ct).Where(c => KnownTypes.Is(c.Type, known.TrainingArguments)).ToList();
        if (found.Count == 1) return ToMember(found[0]);
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingArguments, type, type.Name,
            found.Count == 0
                ? "has no field, property or primary-constructor parameter of type TrainingArguments"
                : $"has several TrainingArguments members ({string.Join(", ", found.Select(c => c.Name))}); keep one"));
        return null;
    }

    private static MemberModel ToMember(Candidate c) => new(c.Name, FullyQualified(c.Type), c.IsPrimaryParameter);

    /// <summary>
    /// Instance fields, properties and primary-constructor parameters declared in the class. A
    /// parameter stored in a field or property (<c>Model Model { get; } = model;</c>) counts once, as
    /// the member.
    /// </summary>
    private static List<Candidate> Candidates(INamedTypeSymbol type, KnownTypes known, CancellationToken ct)
    {
        var result = new List<Candidate>();
        var storedParameters = new HashSet<string>();
        foreach (var member in type.GetMembers())
        {
            ct.ThrowIfCancellationRequested();
            if (member.IsStatic || member.IsImplicitlyDeclared) continue;
            ITypeSymbol? memberType = member switch
            {
                IFieldSymbol field => field.Type,
                IPropertySymbol property when !property.IsIndexer && property.GetMethod is not null => property.Type,   // the loop reads it
                _ => null,
            };
            if (memberType is null || !IsNamed(member)) continue;
            result.Add(new Candidate(member, member.Name, memberType, false, HasAttribute(member, known.ModelAttribute)));
            foreach (var reference in member.DeclaringSyntaxReferences)
            {
                var initializer = reference.GetSyntax(ct) switch
                {
                    VariableDeclaratorSyntax v => v.Initializer?.Value,
                    PropertyDeclarationSyntax p => p.Initializer?.Value,
                    _ => null,
                };
                if (initializer is IdentifierNameSyntax id) storedParameters.Add(id.Identifier.ValueText);
            }
        }

        foreach (var constructor in type.InstanceConstructors)
        {
            bool primary = constructor.DeclaringSyntaxReferences.Any(r => r.GetSyntax(ct) is TypeDeclarationSyntax);
            if (!primary) continue;
            foreach (var parameter in constructor.Parameters)
            {
                if (storedParameters.Contains(parameter.Name) || !IsNamed(parameter)) continue;
                result.Add(new Candidate(parameter, parameter.Name, parameter.Type, true, HasAttribute(parameter, known.ModelAttribute)));
            }
        }
        return result;
    }

    // A member whose name the user has not typed yet (a parse error) cannot be referred to.
    private static bool IsNamed(ISymbol symbol) => SyntaxFacts.IsValidIdentifier(symbol.Name);

    private static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute) =>
        attribute is not null && symbol.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));
}
