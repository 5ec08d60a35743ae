using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.CodeFixes;

/// <summary>
/// DSL031, DSL049 (the same in a hook) and DSL045 (<c>backward()</c> in an [EvalStep]): removes the statement
/// <c>loss.backward();</c>, <c>optimizer.step();</c>, <c>optimizer.zero_grad();</c> or <c>scheduler.step();</c>. Offered only when the
/// call is a statement of its own in a block; a call whose result is used is left to the user.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveLoopCallCodeFix)), Shared]
public sealed class RemoveLoopCallCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.StepDoesLoopWork.Id, DiagnosticDescriptors.HookDoesLoopWork.Id,
            DiagnosticDescriptors.EvalStepCallsBackward.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (node?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } call) continue;
            if (Statements.StatementOf(call) is not { Parent: BlockSyntax } statement) continue;
            string why = diagnostic.Id == DiagnosticDescriptors.EvalStepCallsBackward.Id ? "evaluation computes no gradients" : "the loop does it";
            context.RegisterCodeFix(CodeAction.Create($"Remove '{call}' ({why})",
                ct => Task.FromResult(context.Document.WithSyntaxRoot(Statements.Remove(root!, statement))),
                equivalenceKey: nameof(RemoveLoopCallCodeFix)), diagnostic);
        }
    }
}
