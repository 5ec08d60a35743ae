namespace Dsl.Tests.Support;

/// <summary>
/// Tests that depend on torch's process-wide state: its default generator (seeded runs compared for equality),
/// its live-tensor count (<c>torch.Tensor.TotalCount</c>), its thread count, or the process's environment.
/// They run one at a time, after the tests that run in parallel (pure rules, files, formats), so no other test
/// draws random numbers, creates tensors or changes a setting while they run.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchState
{
    public const string Name = "Shares torch's process-wide state";
}
