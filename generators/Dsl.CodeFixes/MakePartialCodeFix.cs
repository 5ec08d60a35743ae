using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.CodeFixes;

/// <summary>
/// DSL001 and DSL002: adds <c>partial</c>. For a trainer (DSL001) also to each containing type that
/// lacks it, so one fix makes the whole chain compile; for a containing type (DSL002), to that type.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFix)), Shared]
public sealed class MakePartialCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.TrainerNotPartial.Id, DiagnosticDescriptors.ContainingTypeNotPartial.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root?.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } declaration) continue;
            var targets = new List<TypeDeclarationSyntax> { declaration };
            if (diagnostic.Id == DiagnosticDescriptors.TrainerNotPartial.Id)
                targets.AddRange(declaration.Ancestors().OfType<TypeDeclarationSyntax>().Where(t => !IsPartial(t)));
            string title = targets.Count == 1
                ? $"Make '{declaration.Identifier.ValueText}' partial"
                : $"Make '{declaration.Identifier.ValueText}' and its containing types partial";
            context.RegisterCodeFix(CodeAction.Create(title,
                ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNodes(targets, (_, rewritten) => AddPartial(rewritten)))),
                equivalenceKey: nameof(MakePartialCodeFix) + diagnostic.Id), diagnostic);
        }
    }

    private static bool IsPartial(TypeDeclarationSyntax type) => type.Modifiers.Any(SyntaxKind.PartialKeyword);

    /// <summary><c>partial</c> goes last among the modifiers, right before <c>class</c>/<c>record</c>/<c>struct</c>.</summary>
    internal static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax type)
    {
        if (IsPartial(type)) return type;
        if (type.Modifiers.Count == 0)
        {
            var keyword = type.Keyword;
            var partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
            return type.WithKeyword(keyword.WithLeadingTrivia()).WithModifiers(SyntaxFactory.TokenList(partial));
        }
        return type.WithModifiers(type.Modifiers.Add(
            SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space))));
    }
}
