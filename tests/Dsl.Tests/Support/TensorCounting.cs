namespace Dsl.Tests.Support;

/// <summary>
/// Tests that count live tensors: run alone, after the parallel tests. They count their own tensors
/// (<see cref="OwnTensors"/>, per thread), so a tensor another test left to the finalizer cannot move their
/// counts; running alone also keeps their timing (prefetch rings, collation threads) undisturbed.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TensorCounting
{
    public const string Name = "Counts live tensors";
}
