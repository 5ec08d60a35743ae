namespace Dsl.Adapters;

/// <summary>
/// The submodules of a model type, by full name, for Dsl's analyzers: they check a constant <see cref="LoraConfig"/>'s
/// <c>TargetModules</c> against the model's modules at compile time, and can walk the fields of a model written in the
/// same project, but not the private fields of a type in a referenced assembly. A library's model type carries its tree
/// here instead; <c>*</c> stands for a list index (<c>bert.encoder.layer.*.attention.self.query</c>). A test of the
/// library compares the attribute with a built model's <c>named_modules()</c>.
/// </summary>
/// <param name="linear">The names of the Linear layers.</param>
/// <param name="other">The names of every other submodule.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ModuleTreeAttribute(string[] linear, string[] other) : Attribute
{
    /// <summary>The names of the Linear layers.</summary>
    public IReadOnlyList<string> Linear { get; } = linear;

    /// <summary>The names of every other submodule.</summary>
    public IReadOnlyList<string> Other { get; } = other;
}
