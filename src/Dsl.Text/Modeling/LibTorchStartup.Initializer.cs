using System.Runtime.CompilerServices;

namespace Dsl.Text.Modeling;

/// <summary>
/// Runs Dsl's start-up fallback (<see cref="Dsl.Threading.LibTorchStartup"/>) when Dsl.Text is used first: a
/// program without a generated loop often builds a BERT here before it touches anything of Dsl, and the settings
/// must be in place before that loads libtorch. Dsl's module initializer decides; it stands down when a generated
/// initializer ran.
/// </summary>
internal static class LibTorchStartupInitializer
{
#pragma warning disable CA2255 // A library's module initializer, on purpose: it must run before libtorch loads.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() =>
        RuntimeHelpers.RunModuleConstructor(typeof(Dsl.Threading.LibTorchStartup).Module.ModuleHandle);
}
