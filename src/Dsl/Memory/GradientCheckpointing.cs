using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsl.Memory;

/// <summary>
/// Gradient checkpointing (HF's <c>gradient_checkpointing</c>, PyTorch's <c>torch.utils.checkpoint</c>):
/// a checkpointed block's forward keeps only its inputs, and backward runs the block again to get the
/// activations it needs, trading one more forward per block for the memory of all its activations.
/// </summary>
/// <remarks>
/// <para>A model opts in by implementing <see cref="IGradientCheckpointing"/> and calling
/// <see cref="Checkpoint(nn.Module{Tensor, Tensor}, Tensor)"/> (or an overload) where its forward runs
/// each block: <c>x = GradientCheckpointing.Checkpoint(layer, x, mask);</c>. The call is the block's
/// plain forward unless checkpointing is on for the block (<see cref="Enable"/>, which
/// <see cref="TrainingArguments.GradientCheckpointing"/> calls), the block is in training mode and
/// gradients are being recorded, as HF's layers do.</para>
/// <para>The recomputation starts from the generator state the forward saw (PyTorch's
/// <c>preserve_rng_state</c>), so dropout drops the same elements, and it computes the gradients of the
/// block's inputs and parameters together: they equal those without checkpointing.</para>
/// </remarks>
public static class GradientCheckpointing
{
    // The blocks checkpointing is on for, with their options; weak, so a disposed model is not kept alive.
    private static readonly ConditionalWeakTable<nn.Module, GradientCheckpointingOptions> Enabled = new();

    /// <summary>
    /// Turns checkpointing on for <paramref name="model"/> and every module in it (HF's
    /// <c>gradient_checkpointing_enable</c>): each <c>Checkpoint</c> call on one of them checkpoints from now on.
    /// </summary>
    public static void Enable(nn.Module model, GradientCheckpointingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new GradientCheckpointingOptions();
        foreach (var module in Modules(model)) Enabled.AddOrUpdate(module, options);
    }

    /// <summary>Turns checkpointing off for <paramref name="model"/> and every module in it (HF's <c>gradient_checkpointing_disable</c>).</summary>
    public static void Disable(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var module in Modules(model)) Enabled.Remove(module);
    }

    /// <summary>Whether checkpointing is on for <paramref name="module"/> (HF's <c>is_gradient_checkpointing</c>).</summary>
    public static bool IsEnabled(nn.Module module) => module is not null && Enabled.TryGetValue(module, out _);

    /// <summary>Whether <paramref name="model"/> supports checkpointing: it implements <see cref="IGradientCheckpointing"/> (HF's <c>supports_gradient_checkpointing</c>).</summary>
    public static bool Supports(nn.Module model) => model is IGradientCheckpointing;

    /// <summary><paramref name="block"/>(<paramref name="input"/>), checkpointed when checkpointing is on for it.</summary>
    public static Tensor Checkpoint(nn.Module<Tensor, Tensor> block, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(block);
        return Checkpoint(block, inputs => block.forward(inputs[0]!), input);
    }

    /// <summary><paramref name="block"/>(<paramref name="input"/>, <paramref name="other"/>), checkpointed when checkpointing is on for it.</summary>
    public static Tensor Checkpoint(nn.Module<Tensor, Tensor?, Tensor> block, Tensor input, Tensor? other)
    {
        ArgumentNullException.ThrowIfNull(block);
        return Checkpoint(block, inputs => block.forward(inputs[0]!, inputs[1]), input, other);
    }

    /// <summary>
    /// <paramref name="forward"/>(<paramref name="inputs"/>), the forward of <paramref name="block"/>,
    /// checkpointed when checkpointing is on for the block: for blocks of any other signature. The
    /// gradients reach the inputs and <paramref name="block"/>'s parameters; <paramref name="forward"/>
    /// must use no other tensor that needs a gradient.
    /// </summary>
    public static Tensor Checkpoint(nn.Module block, Func<Tensor?[], Tensor> forward, params Tensor?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!block.training || !torch.is_grad_enabled() || !Enabled.TryGetValue(block, out var options)) return forward(inputs);
        CustomBackward.ThrowIfFailed();
        var parameters = block.parameters().Where(p => p.requires_grad).ToArray();
        var call = new CheckpointedCall(block.GetName(), forward, options, inputs.Length, parameters);
        var vars = new object?[1 + inputs.Length + parameters.Length];
        vars[0] = call;
        inputs.CopyTo(vars, 1);
        parameters.CopyTo(vars, 1 + inputs.Length);
        return CheckpointFunction.apply(vars!);
    }

    private static IEnumerable<nn.Module> Modules(nn.Module model) =>
        model.named_modules().Select(m => m.module).Prepend(model);   // TorchSharp's named_modules leaves out the root

    /// <summary>What the recomputation needs: the block's forward, its options, the generator state and the forward's output.</summary>
    internal sealed record CheckpointedCall(string Block, Func<Tensor?[], Tensor> Forward, GradientCheckpointingOptions Options,
        int InputCount, Parameter[] Parameters)
    {
        public byte[]? RngState { get; set; }
        public long[] Shape { get; set; } = [];
        public ScalarType DType { get; set; }
    }
}
