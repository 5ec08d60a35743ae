namespace Dsl.__Internals;

/// <summary>
/// The generated loop's side of the runtime: every public type in <c>Dsl.__Internals</c> is marked
/// <c>[EditorBrowsable(Never)]</c> and <c>[Obsolete(Contract.Message)]</c> (the generated file suppresses
/// the warning), and the whole public surface is tracked in <c>PublicAPI.*.txt</c>, so a change to what
/// generated code calls is a visible diff.
/// </summary>
internal static class Contract
{
    /// <summary>The obsolete message: these members are for code Dsl.Generators writes.</summary>
    public const string Message = "Called by the training loop Dsl.Generators writes; not meant for user code, and may change in any release.";

    /// <summary>The warning ID the <c>[Obsolete]</c> marks raise (docs/diagnostics.md#dsl900); generated files suppress it.</summary>
    public const string DiagnosticId = "DSL900";
}
