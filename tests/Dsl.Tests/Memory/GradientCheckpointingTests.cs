using Dsl.Memory;
using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Memory;

/// <summary>Gradient checkpointing on a user's module: what it recomputes, and that the gradients do not change.</summary>
[Collection(TorchState.Name)]
public sealed class GradientCheckpointingTests
{
    private static Dictionary<string, Tensor> Gradients(bool checkpointing, GradientCheckpointingOptions? options = null)
    {
        using var model = CheckpointedNet.Create();
        if (checkpointing) GradientCheckpointing.Enable(model, options);
        model.train();
        torch.manual_seed(5);
        using var x = torch.randn(32, 4);
        using var y = torch.randint(0, 2, [32]);
        using var loss = nn.functional.cross_entropy(model.forward(x), y);
        loss.backward();
        return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
    }

    [Fact]
    public void Gradients_equal_those_without_checkpointing_with_dropout_replayed()
    {
        var plain = Gradients(checkpointing: false);
        var checkpointed = Gradients(checkpointing: true);
        Assert.Equal(plain.Keys, checkpointed.Keys);
        foreach (var (name, grad) in plain)
            Assert.True(grad.eq(checkpointed[name]).all().item<bool>(), $"{name}: gradients differ");
    }

    [Fact]
    public void Without_preserving_the_generator_state_the_recomputed_dropout_differs()
    {
        // The comparison above can fail: recomputing from another generator state drops other elements.
        var plain = Gradients(checkpointing: false);
        var unpreserved = Gradients(checkpointing: true, new GradientCheckpointingOptions { PreserveRngState = false });
        Assert.Contains(plain, kv => !kv.Value.allclose(unpreserved[kv.Key], rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Each_checkpointed_block_runs_again_in_backward_and_only_in_training_with_gradients()
    {
        using var model = CheckpointedNet.Create();
        GradientCheckpointing.Enable(model);
        using var x = torch.randn(8, 4);
        model.train();
        model.forward(x).sum().backward();
        Assert.Equal(2, model.Block(1).Calls);
        model.eval();
        model.forward(x).sum().backward();
        Assert.Equal(3, model.Block(1).Calls);   // eval mode: the plain forward, as HF's layers
        model.train();
        using (torch.no_grad()) model.forward(x);
        Assert.Equal(4, model.Block(1).Calls);   // no gradients recorded: nothing to recompute
        GradientCheckpointing.Disable(model);
        model.forward(x).sum().backward();
        Assert.Equal(5, model.Block(1).Calls);
    }

    [Fact]
    public void A_block_gets_parameter_gradients_when_its_input_needs_none()
    {
        torch.manual_seed(2);
        using var block = new DropoutBlock(4, 0.0);
        GradientCheckpointing.Enable(block);
        block.train();
        using var x = torch.randn(8, 4);   // data: requires no gradient
        GradientCheckpointing.Checkpoint(block, x).sum().backward();
        Assert.All(block.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
    }

    [Fact]
    public void A_block_that_fails_when_recomputed_is_named_at_the_next_forward_and_nothing_aborts()
    {
        using var model = CheckpointedNet.Create();
        GradientCheckpointing.Enable(model);
        model.train();
        model.Block(2).FailFromCall = 2;   // the forward passes; its recomputation in backward throws
        using var x = torch.randn(8, 4);
        model.forward(x).sum().backward();
        Assert.Contains(model.parameters(), p => p.grad is not null && p.grad.isnan().any().item<bool>());
        var e = Assert.Throws<InvalidOperationException>(() => model.forward(x));
        Assert.Contains("checkpointed block DropoutBlock", e.Message);
        Assert.Contains("the block cannot run twice", e.Message);
    }

    [Fact]
    public void A_recomputation_that_gives_another_shape_is_refused_unless_the_check_is_off()
    {
        using var model = CheckpointedNet.Create();
        GradientCheckpointing.Enable(model);
        model.train();
        model.Block(0).ReshapeFromCall = 2;
        using var x = torch.randn(8, 4);
        model.forward(x).sum().backward();
        var e = Assert.Throws<InvalidOperationException>(() => model.forward(x));
        Assert.Contains("determinism_check", e.Message);
    }

    [Theory]
    [InlineData("use_reentrant", true, null)]
    [InlineData("preserve_rng_state", false, null)]
    [InlineData("determinism_check", "none", null)]
    [InlineData("debug", true, "the keys that apply are preserve_rng_state, determinism_check, use_reentrant")]
    [InlineData("preserve_rng_state", "yes", "GradientCheckpointingKwargs[\"preserve_rng_state\"] is yes; it must be true or false")]
    [InlineData("determinism_check", "strict", "it must be \"default\" or \"none\"")]
    public void Hf_kwargs_are_read_and_a_wrong_one_is_named(string key, object value, string? error)
    {
        var args = new TrainingArguments { GradientCheckpointingKwargs = new Dictionary<string, object> { [key] = value } };
        if (error is null)
        {
            args.Validate();
            return;
        }
        var e = Assert.Throws<ArgumentException>(args.Validate);
        Assert.Contains(error, e.Message);
    }
}
