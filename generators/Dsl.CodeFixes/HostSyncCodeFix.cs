using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Dsl.Generators;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.CodeFixes;

/// <summary>
/// DSL101, in the three shapes where the fix is mechanical:
/// <list type="number">
/// <item>The value goes straight back into a returned tensor: <c>return loss.item&lt;float&gt;();</c> (or
/// <c>=&gt; loss.ToSingle()</c>) in a step returning Tensor or StepOutput → <c>return loss;</c>. The
/// step now returns the loss with its graph, which the loop needs for <c>backward()</c>.</item>
/// <item>A local that only logging reads: <c>var x = loss.item&lt;float&gt;();</c> where every use of
/// <c>x</c> is in a <c>Console.Write*</c>/<c>Debug.Write*</c>/<c>Trace.Write*</c> statement (or none) →
/// the declaration and those statements go. The loop logs the loss at logging steps.</item>
/// <item>The read is inside such a logging statement (<c>Console.WriteLine(loss.item&lt;float&gt;())</c>,
/// <c>Console.WriteLine($"{loss}")</c>) → the statement goes.</item>
/// </list>
/// Anything else (a value used in arithmetic, a condition, a field) is left to the user.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(HostSyncCodeFix)), Shared]
public sealed class HostSyncCodeFix : CodeFixProvider
{
    private static readonly string[] LoggingTypes = [KnownNames.Console, KnownNames.Debug, KnownNames.Trace];

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.HostSyncInStep.Id);

    public override FixAllProvider? GetFixAllProvider() => null;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        var tensor = model.Compilation.GetTypeByMetadataName(KnownNames.Tensor);
        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var ct = context.CancellationToken;

            if (node is InvocationExpressionSyntax call && ReturnedTensor(call, model, tensor, ct) is { } receiver)
            {
                context.RegisterCodeFix(CodeAction.Create($"Return '{receiver}' instead of its value",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(call, receiver.WithTriviaFrom(call)))),
                    equivalenceKey: "ReturnTensor"), diagnostic);
                continue;
            }
            var statements = LoggingOnly(node, model, ct);
            if (statements is null) continue;
            context.RegisterCodeFix(CodeAction.Create("Remove the host read and the logging that uses it (the loop logs the loss)",
                _ => Task.FromResult(context.Document.WithSyntaxRoot(Statements.Remove(root, statements))),
                equivalenceKey: "RemoveLogging"), diagnostic);
        }
    }

    /// <summary>
    /// Shape 1: <paramref name="call"/> reads a tensor's value that an implicit conversion turns back
    /// into a tensor as the method's return value. Returns the tensor read.
    /// </summary>
    private static ExpressionSyntax? ReturnedTensor(InvocationExpressionSyntax call, SemanticModel model, INamedTypeSymbol? tensor, CancellationToken ct)
    {
        if (model.GetOperation(call, ct) is not IInvocationOperation invocation) return null;
        if (invocation.Parent is not IConversionOperation { IsImplicit: true } conversion
            || !SymbolEqualityComparer.Default.Equals(conversion.Type, tensor)
            || conversion.Parent is not IReturnOperation)
            return null;
        var read = invocation.TargetMethod.IsExtensionMethod ? invocation.Arguments[0].Value : invocation.Instance;
        if (read is null || !SymbolEqualityComparer.Default.Equals(read.Type, tensor)) return null;
        return read.Syntax as ExpressionSyntax;
    }

    /// <summary>Shapes 2 and 3: the statements to remove, or null when the value is used for more than logging.</summary>
    private static StatementSyntax[]? LoggingOnly(SyntaxNode node, SemanticModel model, CancellationToken ct)
    {
        var logging = node.AncestorsAndSelf().OfType<ExpressionStatementSyntax>().FirstOrDefault();
        if (logging is { Parent: BlockSyntax } && IsLogging(logging, model, ct)) return [logging];

        if (node.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
            || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { Parent: BlockSyntax } declaration }
            || model.GetDeclaredSymbol(declarator, ct) is not ILocalSymbol local)
            return null;
        var scope = declaration.Parent!;
        var result = new List<StatementSyntax> { declaration };
        foreach (var identifier in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (identifier.Identifier.ValueText != local.Name
                || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, ct).Symbol, local))
                continue;
            var statement = identifier.AncestorsAndSelf().OfType<ExpressionStatementSyntax>().FirstOrDefault();
            if (statement is not { Parent: BlockSyntax } || !IsLogging(statement, model, ct)) return null;
            if (!result.Contains(statement)) result.Add(statement);
        }
        return result.ToArray();
    }

    private static bool IsLogging(ExpressionStatementSyntax statement, SemanticModel model, CancellationToken ct) =>
        statement.Expression is InvocationExpressionSyntax invocation
        && model.GetSymbolInfo(invocation, ct).Symbol is IMethodSymbol method
        && method.Name.StartsWith("Write", System.StringComparison.Ordinal)
        && LoggingTypes.Contains(method.ContainingType.ToDisplayString());
}
