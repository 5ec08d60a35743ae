namespace Dsl.Generators.Model;

/// <summary>
/// A <c>[Trainer]</c> the generator declined to generate because of an error in its declaration. The
/// emitter still writes its public members, as stubs that throw, so that calls to <c>Train</c> or
/// <c>Evaluate</c> keep compiling and the only error the user sees is the one on their own line.
/// </summary>
/// <param name="Namespace">The namespace, or null for the global one.</param>
/// <param name="TypeName">The name with its type parameter list, e.g. <c>T&lt;TModel&gt;</c>.</param>
/// <param name="HintName">The generated file's name, as for a generated trainer.</param>
/// <param name="ContainingTypes">The types it is nested in.</param>
/// <param name="Reasons">The IDs of the errors that stopped generation (e.g. <c>DSL013</c>), for the stubs' message.</param>
/// <param name="UserMembers">Generated member names the class declares itself (DSL019): no stub is written for them.</param>
internal sealed record DeclinedTrainer(
    string? Namespace,
    string TypeName,
    string HintName,
    EquatableArray<ContainingType> ContainingTypes,
    EquatableArray<string> Reasons,
    EquatableArray<string> UserMembers);
