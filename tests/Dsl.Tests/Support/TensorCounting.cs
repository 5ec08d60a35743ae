namespace Dsl.Tests.Support;

/// <summary>
/// Tests that count live tensors with <c>torch.Tensor.TotalCount</c>, a process-wide counter: run alone,
/// after the parallel tests, so no other test's tensors are created or freed while they count.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TensorCounting
{
    public const string Name = "Counts live tensors";
}
