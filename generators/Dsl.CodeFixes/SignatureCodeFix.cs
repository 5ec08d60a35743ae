using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Dsl.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.CodeFixes;

/// <summary>
/// The signature rules (DSL006, DSL008–DSL011) where the fix is one edit: a by-ref parameter taken by value
/// (drop <c>ref</c>, <c>out</c>, <c>in</c>, <c>ref readonly</c>), a static method made an instance one, a nullable
/// return made non-nullable. Other mistakes (a wrong parameter count or type) need the user's decision.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SignatureCodeFix)), Shared]
public sealed class SignatureCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.InvalidStepSignature.Id,
        DiagnosticDescriptors.InvalidOptimizerSignature.Id,
        DiagnosticDescriptors.InvalidSchedulerSignature.Id,
        DiagnosticDescriptors.InvalidMetricSignature.Id,
        DiagnosticDescriptors.InvalidHookSignature.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var method = node.FirstAncestorOrSelf<MethodDeclarationSyntax>();
            if (method is null) continue;
            var parameter = node.FirstAncestorOrSelf<ParameterSyntax>()
                ?? (method.ParameterList.Parameters.Count == 1 && IsByRef(method.ParameterList.Parameters[0]) && IsStep(diagnostic)
                    ? method.ParameterList.Parameters[0] : null);
            if (parameter is not null && IsByRef(parameter))
            {
                string modifiers = string.Join(" ", parameter.Modifiers.Where(IsRefModifier).Select(m => m.Text));
                Register(context, diagnostic, $"Take '{parameter.Identifier.ValueText}' by value (remove '{modifiers}')", "ByValue",
                    root.ReplaceNode(parameter, parameter.WithModifiers(SyntaxFactory.TokenList(parameter.Modifiers.Where(m => !IsRefModifier(m))))
                        .WithLeadingTrivia(parameter.GetLeadingTrivia())));
            }
            else if (method.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.StaticKeyword)) is { RawKind: not 0 } isStatic)
            {
                var modifiers = method.Modifiers.Remove(isStatic);
                var fixedMethod = modifiers.Count == 0
                    ? method.WithModifiers(modifiers).WithLeadingTrivia(isStatic.LeadingTrivia.AddRange(method.GetLeadingTrivia()))
                    : method.WithModifiers(modifiers);
                Register(context, diagnostic, $"Make '{method.Identifier.ValueText}' an instance method (remove 'static')", "Instance",
                    root.ReplaceNode(method, fixedMethod));
            }
            else if (method.ReturnType is NullableTypeSyntax nullable)
            {
                Register(context, diagnostic, $"Return '{nullable.ElementType}' (not nullable)", "NotNullable",
                    root.ReplaceNode(nullable, nullable.ElementType.WithTriviaFrom(nullable)));
            }
        }
    }

    private static void Register(CodeFixContext context, Diagnostic diagnostic, string title, string kind, SyntaxNode newRoot) =>
        context.RegisterCodeFix(CodeAction.Create(title, _ => Task.FromResult(context.Document.WithSyntaxRoot(newRoot)),
            equivalenceKey: nameof(SignatureCodeFix) + kind), diagnostic);

    private static bool IsStep(Diagnostic diagnostic) => diagnostic.Id == DiagnosticDescriptors.InvalidStepSignature.Id;

    private static bool IsByRef(ParameterSyntax parameter) => parameter.Modifiers.Any(IsRefModifier);

    private static bool IsRefModifier(SyntaxToken token) =>
        token.IsKind(SyntaxKind.RefKeyword) || token.IsKind(SyntaxKind.OutKeyword) || token.IsKind(SyntaxKind.InKeyword)
        || token.IsKind(SyntaxKind.ReadOnlyKeyword);
}
