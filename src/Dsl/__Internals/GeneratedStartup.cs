using System.ComponentModel;
using Dsl.Threading;

namespace Dsl.__Internals;

/// <summary>
/// What the module initializer Dsl.Generators writes into an assembly with a generated loop calls: applies
/// <see cref="LibTorchStartup"/>'s settings, unless the program switched start-up off.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[Obsolete(Contract.Message, DiagnosticId = Contract.DiagnosticId)]
public static class GeneratedStartup
{
    /// <summary>Applies the start-up settings as the one start-up path (see <see cref="LibTorchStartup"/>).</summary>
    public static void Apply() => LibTorchStartup.ApplyFromGeneratedInitializer();
}
