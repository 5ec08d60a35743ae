using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Dsl.Generators.Analyzers;

internal sealed partial class ArgumentValues
{
    /// <summary>
    /// True when <paramref name="first"/> and <paramref name="second"/> are given the same non-constant value: one
    /// variable or member read (<c>Bf16 = mixed, Fp16 = mixed</c>, <c>= options.Half</c> twice). Across statements
    /// (a <c>with</c> over a local) only a value that cannot change in between counts: a local or parameter the method
    /// never assigns again, or a readonly field.
    /// </summary>
    public bool SameValue(string first, string second, out string shown)
    {
        shown = "";
        if (!_same.TryGetValue(first, out var a) || !_same.TryGetValue(second, out var b) || a.Key != b.Key) return false;
        if (a.Initializer != b.Initializer && !(a.Stable && b.Stable)) return false;
        shown = a.Shown;
        return true;
    }

    /// <summary>A non-constant value by what it reads: a chain of member reads on a local, a parameter, a field or <c>this</c>.</summary>
    private sealed class SharedValue
    {
        private SharedValue(string key, string shown, bool stable, IOperation initializer)
        {
            Key = key;
            Shown = shown;
            Stable = stable;
            Initializer = initializer;
        }

        public string Key { get; }
        public string Shown { get; }
        public bool Stable { get; }
        public IOperation Initializer { get; }

        public static SharedValue? Of(IOperation value, IOperation initializer)
        {
            value = StepScopeAnalyzer.Unwrap(value);
            string path = "";
            // Member reads down to the root: options.Precision.Half reads Half of Precision of options.
            while (true)
            {
                switch (value)
                {
                    case IPropertyReferenceOperation { Arguments.Length: 0, Instance: { } instance } property:
                        path = "." + property.Property.Name + path;
                        value = instance;
                        continue;
                    case IFieldReferenceOperation { Instance: { } instance, Field.IsReadOnly: true } field:
                        path = "." + field.Field.Name + path;
                        value = instance;
                        continue;
                }
                return Root(value, path, stable: true, initializer);
            }
        }

        private static SharedValue? Root(IOperation root, string path, bool stable, IOperation initializer)
        {
            ISymbol? symbol = root switch
            {
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                IFieldReferenceOperation field => field.Field,
                IPropertyReferenceOperation { Arguments.Length: 0 } property => property.Property,
                IInstanceReferenceOperation => root.Type,
                _ => null,
            };
            if (symbol is null) return null;
            if (root is ILocalReferenceOperation or IParameterReferenceOperation) stable &= EnclosingBody(root.Syntax) is { } body && !AssignedIn(body, symbol.Name);
            else if (root is IFieldReferenceOperation { Field.IsReadOnly: false } or IPropertyReferenceOperation) stable = false;
            string key = symbol.Kind + ":" + symbol.ToDisplayString() + "@" + (symbol.Locations.Length > 0 ? symbol.Locations[0].SourceSpan.Start : -1) + path;
            return new SharedValue(key, root.Syntax.Parent is MemberAccessExpressionSyntax ? OutermostAccess(root.Syntax).ToString() : root.Syntax.ToString(),
                stable, initializer);
        }

        private static SyntaxNode OutermostAccess(SyntaxNode node)
        {
            while (node.Parent is MemberAccessExpressionSyntax access && access.Expression == node) node = access;
            return node;
        }
    }
}
