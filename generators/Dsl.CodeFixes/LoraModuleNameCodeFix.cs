using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Dsl.Generators.Analyzers;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.CodeFixes;

/// <summary>
/// DSL054: replaces a <c>TargetModules</c> or <c>ModulesToSave</c> entry that matches no module by one of the nearest
/// module names the analyzer found (<c>"vaule"</c> → <c>"value"</c>), one action per name, nearest first.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LoraModuleNameCodeFix)), Shared]
public sealed class LoraModuleNameCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.LoraModuleNotFound.Id);

    // Each action picks one of several names: Fix All would have to choose for the user.
    public override FixAllProvider? GetFixAllProvider() => null;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not LiteralExpressionSyntax literal
                || !literal.IsKind(SyntaxKind.StringLiteralExpression)
                || !diagnostic.Properties.TryGetValue(LoraConfigAnalyzer.NearestProperty, out string? nearest) || string.IsNullOrEmpty(nearest))
                continue;
            foreach (string name in nearest!.Split('|'))
                context.RegisterCodeFix(CodeAction.Create($"Use \"{name}\"",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(literal,
                        SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(name)).WithTriviaFrom(literal)))),
                    equivalenceKey: nameof(LoraModuleNameCodeFix) + "." + name), diagnostic);
        }
    }
}
