using System.Runtime.CompilerServices;

namespace Dsl.Text.Modeling;

/// <summary>
/// Applies <see cref="Dsl.Threading.ThreadingDefaults"/> when Dsl.Text is first used: a program's
/// first tensor often comes from a BERT built here, and OpenMP's settings must be in the environment
/// before that loads libtorch.
/// </summary>
internal static class ThreadingDefaultsInitializer
{
#pragma warning disable CA2255 // A library's module initializer, on purpose: it must run before libtorch loads.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => Dsl.Threading.ThreadingDefaults.Apply();
}
