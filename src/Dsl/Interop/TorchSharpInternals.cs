using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace Dsl.Interop;

/// <summary>
/// Every place the runtime reaches past TorchSharp's public API, in one file. Each member states the assumption it
/// makes about TorchSharp 0.107 / libtorch 2.10; tests/Dsl.Tests/Interop/TorchSharpContractTests.cs has one test per
/// assumption, named after it, so a TorchSharp upgrade that breaks one fails there, by name, before anything
/// trains. The packages pin TorchSharp to the validated range (Directory.Packages.props); docs/architecture.md lists
/// the assumptions.
/// </summary>
internal static class TorchSharpInternals
{
    // ---- Modules ----

    /// <summary>
    /// Registers <paramref name="parameter"/> under <paramref name="name"/> in place of the one <paramref name="owner"/>
    /// holds, and points the owner's fields that held the old one at it: what <c>named_parameters</c>,
    /// <c>state_dict</c> and the module's own <c>forward</c> then use.
    /// </summary>
    /// <remarks>
    /// Assumptions: <c>Module.ConditionallyRegisterParameter(string, Parameter)</c> (protected) replaces a registered
    /// parameter by name; a built-in module's <c>forward</c> reads its parameters from its instance fields
    /// (<c>Linear._weight</c>), so the fields must change with the registration.
    /// </remarks>
    public static void ReplaceParameter(nn.Module owner, string name, FieldInfo[] fields, Parameter parameter)
    {
        ConditionallyRegisterParameter(owner, name, parameter);
        foreach (var field in fields) field.SetValue(owner, parameter);
    }

    /// <summary>The instance fields of <paramref name="module"/> (its own and its base types') that hold <paramref name="parameter"/>.</summary>
    public static FieldInfo[] FieldsHolding(nn.Module module, Parameter parameter)
    {
        var fields = new List<FieldInfo>();
        for (var type = module.GetType(); type is not null && type != typeof(object); type = type.BaseType)
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                if (typeof(Tensor).IsAssignableFrom(field.FieldType) && ReferenceEquals(field.GetValue(module), parameter))
                    fields.Add(field);
        return [.. fields];
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "ConditionallyRegisterParameter")]
    private static extern void ConditionallyRegisterParameter(nn.Module module, string name, Parameter? value);

    // ---- Optimizers ----

    /// <summary>
    /// TorchSharp's AdamW state of <paramref name="parameter"/>: its step count and moment tensors, which a leaner
    /// <c>step</c> updates in place.
    /// </summary>
    /// <remarks>
    /// Assumptions: an <see cref="OptimizerHelper"/> keeps per-parameter state in its protected <c>_state</c>, keyed by
    /// <c>Parameter.Handle</c>; AdamW creates each parameter's <see cref="TorchSharp.Modules.AdamW.State"/> when it is
    /// built (step 0, zero moments); <c>step</c> counts the updates taken, as PyTorch's.
    /// </remarks>
    public static TorchSharp.Modules.AdamW.State AdamWState(TorchSharp.Modules.AdamW optimizer, Parameter parameter) =>
        State(optimizer).TryGetValue(parameter.Handle, out var state) && state is TorchSharp.Modules.AdamW.State adam
            ? adam
            : throw new InvalidOperationException(
                $"TorchSharp's AdamW holds no state for a parameter of shape [{string.Join(", ", parameter.shape)}]: this TorchSharp keeps its " +
                "optimizer state differently from the 0.107 release Dsl's AdamW was built on (see Dsl.Interop.TorchSharpInternals).");

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_state")]
    private static extern ref TorchSharp.Utils.OrderedDict<IntPtr, OptimizerState> State(OptimizerHelper optimizer);

    /// <summary>
    /// The length of <paramref name="optimizer"/>'s saved state (<c>save_state_dict</c>), which a valid state file for
    /// it must have.
    /// </summary>
    /// <remarks>
    /// Assumptions: the format (the type's short name, then counts, each group's options and each parameter's state
    /// with its tensors) has the same length for one optimizer over one model at every step; <c>load_state_dict</c>
    /// allocates each state tensor with the shape the file gives, so a damaged file could ask for any size; the
    /// type's short name is written, and <c>load_state_dict</c> refuses a file of another (so Dsl's lean optimizers
    /// are named as TorchSharp's).
    /// </remarks>
    public static long SavedStateLength(OptimizerHelper optimizer)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(writer);
        return buffer.Length;
    }

    // ---- The random number generator ----

    /// <summary>
    /// What libtorch's <c>CPUGeneratorImpl::set_state</c> would reject in <paramref name="bytes"/>, or null: the size
    /// must be this libtorch's state size, and the mt19937 state inside it valid (seeded, <c>left</c> in 1..624,
    /// <c>next</c> at most 624), the checks of <c>mt19937::is_valid</c>.
    /// </summary>
    /// <remarks>
    /// Assumptions: <c>torch.get_rng_state()</c> is libtorch's <c>CPUGeneratorImplState</c> as bytes, starting with the
    /// legacy layout <c>uint64 the_initial_seed; int32 left; int32 seeded; uint64 next; uint64 state[624]; ...</c>
    /// (little-endian); <c>set_rng_state</c> with a state libtorch rejects ends the process (a C++ error that does not
    /// cross into .NET), so a bad state must never reach it.
    /// </remarks>
    public static string? RngStateProblem(ReadOnlySpan<byte> bytes)
    {
        int expected = RngStateSize.Value;
        if (bytes.Length != expected) return $"{bytes.Length} bytes, expected {expected}";
        var state = ReadRngState(bytes);
        if (state.Seeded == 0) return "the generator is marked unseeded";
        if (state.Left is < 1 or > MersenneStateSize) return $"'left' is {state.Left}, expected 1 to {MersenneStateSize}";
        if (state.Next > MersenneStateSize) return $"'next' is {state.Next}, expected at most {MersenneStateSize}";
        return null;
    }

    /// <summary>The fields of the legacy CPU generator state <see cref="RngStateProblem"/> checks.</summary>
    public readonly record struct RngState(ulong InitialSeed, int Left, int Seeded, uint Next);

    /// <summary>Reads the leading fields of a CPU generator state (see <see cref="RngStateProblem"/>).</summary>
    public static RngState ReadRngState(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]),
        BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]),
        (uint)BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]));

    private const int MersenneStateSize = 624;

    // The state size of the libtorch in use, read once from a live generator state.
    private static readonly Lazy<int> RngStateSize = new(() =>
    {
        using var state = torch.get_rng_state();
        return (int)state.NumberOfElements;
    });
}
