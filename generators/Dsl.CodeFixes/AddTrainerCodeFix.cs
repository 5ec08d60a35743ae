using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.CodeFixes;

/// <summary>
/// DSL036: adds <c>[Trainer]</c> (and <c>partial</c>) to a class that has trainer members but no attribute. Not
/// offered for an abstract class, whose attributes are a base class's (DSL036's message says where they go).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddTrainerCodeFix)), Shared]
public sealed class AddTrainerCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.NotATrainer.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<ClassDeclarationSyntax>() is not { } type
                || type.Modifiers.Any(SyntaxKind.AbstractKeyword)) continue;
            context.RegisterCodeFix(CodeAction.Create($"Make '{type.Identifier.ValueText}' a [Trainer]",
                _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(type, AddTrainer(type)))),
                equivalenceKey: nameof(AddTrainerCodeFix)), diagnostic);
        }
    }

    private static TypeDeclarationSyntax AddTrainer(ClassDeclarationSyntax type)
    {
        var partial = MakePartialCodeFix.AddPartial(type);
        var attribute = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Attribute(SyntaxFactory.IdentifierName("Trainer"))))
            .WithTrailingTrivia(SyntaxFactory.EndOfLine("\n"));
        var leading = partial.GetLeadingTrivia();
        return partial.WithoutLeadingTrivia().AddAttributeLists(attribute).WithLeadingTrivia(leading);
    }
}
