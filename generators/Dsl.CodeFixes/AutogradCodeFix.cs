using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.CodeFixes;

/// <summary>DSL043: returns the loss itself instead of <c>loss.detach()</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AutogradCodeFix)), Shared]
public sealed class AutogradCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.StepReturnsDetached.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>()
                    is not { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "detach" or "detach_" } access } call) continue;
            context.RegisterCodeFix(CodeAction.Create($"Return '{access.Expression}' (remove '.{access.Name}()')",
                _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(call, access.Expression.WithTriviaFrom(call)))),
                equivalenceKey: nameof(AutogradCodeFix)), diagnostic);
        }
    }
}
