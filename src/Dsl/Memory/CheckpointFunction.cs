using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Dsl.Memory;

/// <summary>
/// The autograd node of one checkpointed block call: forward runs the block without recording and
/// keeps its inputs; backward runs it again, recording, from the saved generator state, and takes the
/// gradients of the inputs and the block's parameters from that graph.
/// </summary>
/// <remarks>
/// The arguments are the call (<see cref="GradientCheckpointing.CheckpointedCall"/>), the block's
/// inputs, then its parameters: passing the parameters makes them inputs of this node, so autograd adds
/// their gradients to <c>.grad</c> as for any other node, even when no input needs a gradient.
/// </remarks>
internal sealed class CheckpointFunction : SingleTensorFunction<CheckpointFunction>
{
    /// <inheritdoc/>
    public override string Name => "CheckpointFunction";

    /// <inheritdoc/>
    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var call = (GradientCheckpointing.CheckpointedCall)vars[0];
        var inputs = Inputs(vars, call);
        if (call.Options.PreserveRngState)
        {
            using var state = torch.get_rng_state();
            call.RngState = state.bytes.ToArray();
        }
        var output = call.Forward(inputs);
        call.Shape = output.shape;
        call.DType = output.dtype;
        ctx.save_for_backward([.. inputs]);
        ctx.save_data(nameof(GradientCheckpointing.CheckpointedCall), call);
        return output;
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
    {
        var call = (GradientCheckpointing.CheckpointedCall)ctx.get_data(nameof(GradientCheckpointing.CheckpointedCall));
        return CustomBackward.Run(() => Recompute(ctx, call, grad_output), grad_output,
            $"the recomputation of checkpointed block {call.Block}", () => NanShapes(call));
    }

    // What a failed backward hands back: nothing for the call and the inputs, NaN for the parameters.
    private static List<Tensor?> NanShapes(GradientCheckpointing.CheckpointedCall call)
    {
        var like = new List<Tensor?> { null };
        like.AddRange(Enumerable.Repeat<Tensor?>(null, call.InputCount));
        like.AddRange(call.Parameters);
        return like;
    }

    // Runs inside CustomBackward's dispose scope: everything but the returned gradients is released with it.
    private static List<Tensor> Recompute(AutogradContext ctx, GradientCheckpointing.CheckpointedCall call, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var inputs = new Tensor?[call.InputCount];
        for (int i = 0; i < inputs.Length; i++)
            inputs[i] = saved[i].IsInvalid ? null : saved[i].detach().requires_grad_(saved[i].requires_grad);

        byte[]? current = null;
        if (call.RngState is { } forwardState)
        {
            using var now = torch.get_rng_state();
            current = now.bytes.ToArray();
            using var replay = torch.tensor(forwardState, ScalarType.Byte);
            torch.set_rng_state(replay);
        }
        IList<Tensor> grads;
        try
        {
            Tensor output;
            using (torch.enable_grad()) output = call.Forward(inputs);
            if (call.Options.DeterminismCheck == "default" && (!output.shape.SequenceEqual(call.Shape) || output.dtype != call.DType))
                throw new InvalidOperationException(
                    $"recomputing it gave an output of shape [{string.Join(", ", output.shape)}] and dtype {output.dtype}, where the forward " +
                    $"gave [{string.Join(", ", call.Shape)}] and {call.DType}: its forward must compute the same from the same inputs " +
                    "(set determinism_check to \"none\" in GradientCheckpointingKwargs to skip this check)");
            var wrt = new List<Tensor>();
            foreach (var input in inputs)
                if (input is not null && input.requires_grad) wrt.Add(input);
            wrt.AddRange(call.Parameters);
            grads = torch.autograd.grad([output], wrt, [gradOutput], allow_unused: true);
        }
        finally
        {
            if (current is not null)
            {
                using var restore = torch.tensor(current, ScalarType.Byte);
                torch.set_rng_state(restore);
            }
        }

        // One gradient per argument: none for the call, the inputs' in order (none where not needed), the parameters'.
        var result = new List<Tensor> { null! };
        int next = 0;
        foreach (var input in inputs)
            result.Add(input is not null && input.requires_grad ? grads[next++] : null!);
        for (int i = 0; i < call.Parameters.Length; i++) result.Add(grads[next++]);
        return result;
    }

    private static Tensor?[] Inputs(object[] vars, GradientCheckpointing.CheckpointedCall call)
    {
        var inputs = new Tensor?[call.InputCount];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = vars[1 + i] as Tensor;
        return inputs;
    }
}
