using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Dsl.Generators;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace Dsl.CodeFixes;

/// <summary>
/// DSL017: makes the evaluation step (the [EvalStep], else the [TrainStep]) return <c>StepOutput</c>, when its loss
/// is the common shape <c>lossFunction(logits, labels)</c>: a call whose first two arguments are tensors. The step
/// then returns <c>new StepOutput(loss, logits, labels)</c>, the logits computed once in a local:
/// <code>
/// Tensor Step(Batch batch) =&gt; cross_entropy(model.forward(batch.X), batch.Y);
/// // becomes
/// StepOutput Step(Batch batch)
/// {
///     var logits = model.forward(batch.X);
///     return new StepOutput(cross_entropy(logits, batch.Y), logits, batch.Y);
/// }
/// </code>
/// Another shape (a loss computed in several statements) gets no fix: which tensors are the logits is the user's call.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReturnStepOutputCodeFix)), Shared]
public sealed class ReturnStepOutputCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.MetricsWithoutLogits.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        var tensor = model.Compilation.GetTypeByMetadataName(KnownNames.Tensor);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } trainer) continue;
            var step = Step(trainer, "EvalStep") ?? Step(trainer, "TrainStep");
            if (step is null || Returned(step) is not InvocationExpressionSyntax { ArgumentList.Arguments.Count: >= 2 } loss) continue;
            var logits = loss.ArgumentList.Arguments[0].Expression;
            var labels = loss.ArgumentList.Arguments[1].Expression;
            if (!IsTensor(model, logits, tensor) || !IsTensor(model, labels, tensor)) continue;
            context.RegisterCodeFix(CodeAction.Create($"Return StepOutput(loss, logits, labels) from '{step.Identifier.ValueText}'",
                _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(step, Rewrite(step, loss, logits, labels)))),
                equivalenceKey: nameof(ReturnStepOutputCodeFix)), diagnostic);
        }
    }

    private static MethodDeclarationSyntax? Step(TypeDeclarationSyntax trainer, string attribute) =>
        trainer.Members.OfType<MethodDeclarationSyntax>().FirstOrDefault(m => m.AttributeLists.SelectMany(l => l.Attributes)
            .Any(a => a.Name.ToString() is var n && (n == attribute || n == attribute + "Attribute" || n.EndsWith("." + attribute, System.StringComparison.Ordinal))));

    /// <summary>The step's single returned expression: its expression body, or the only return of a block.</summary>
    private static ExpressionSyntax? Returned(MethodDeclarationSyntax step) => step switch
    {
        { ExpressionBody: { } body } => body.Expression,
        { Body: { Statements.Count: > 0 } block } when block.Statements.Last() is ReturnStatementSyntax { Expression: { } returned }
            && block.DescendantNodes().OfType<ReturnStatementSyntax>().Count() == 1 => returned,
        _ => null,
    };

    private static bool IsTensor(SemanticModel model, ExpressionSyntax expression, INamedTypeSymbol? tensor)
    {
        for (var type = model.GetTypeInfo(expression).Type; type is not null; type = type.BaseType)
            if (SymbolEqualityComparer.Default.Equals(type, tensor)) return true;
        return false;
    }

    private static MethodDeclarationSyntax Rewrite(MethodDeclarationSyntax step, InvocationExpressionSyntax loss, ExpressionSyntax logits, ExpressionSyntax labels)
    {
        // Logits computed by a call are kept in a local, so the model runs once.
        bool hoist = logits is not (IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax });
        ExpressionSyntax logitsValue = hoist ? SyntaxFactory.IdentifierName("logits") : logits.WithoutTrivia();
        var newLoss = hoist ? loss.ReplaceNode(logits, logitsValue.WithTriviaFrom(logits)) : loss;
        var output = SyntaxFactory.ParseExpression($"new global::Dsl.StepOutput({newLoss.WithoutTrivia()}, {logitsValue}, {labels.WithoutTrivia()})");
        var returnType = SyntaxFactory.ParseTypeName("global::Dsl.StepOutput").WithTriviaFrom(step.ReturnType);

        BlockSyntax body;
        if (step.ExpressionBody is not null)
            body = SyntaxFactory.Block(SyntaxFactory.ReturnStatement(output));
        else
            body = step.Body!.ReplaceNode(step.Body!.Statements.Last(), SyntaxFactory.ReturnStatement(output));
        if (hoist)
        {
            var local = SyntaxFactory.ParseStatement($"var logits = {logits.WithoutTrivia()};");
            var returnStatement = body.Statements.Last();
            body = body.InsertNodesBefore(returnStatement, [local]);
        }
        return step.WithReturnType(returnType).WithExpressionBody(null).WithSemicolonToken(default)
            .WithParameterList(step.ParameterList.WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed))
            .WithBody(body.WithAdditionalAnnotations(Formatter.Annotation))
            .WithAdditionalAnnotations(Formatter.Annotation, Microsoft.CodeAnalysis.Simplification.Simplifier.Annotation);
    }
}
