using System.Reflection;

namespace Dsl.Tests.Support;

/// <summary>
/// Test classes run in parallel unless they are in <see cref="TorchState"/>. A class that trains, seeds torch or counts
/// tensors and forgets the collection is flaky only when another test happens to run beside it; this guard makes the
/// choice explicit instead: a class outside the collection must be on the list of classes known not to touch torch's
/// process-wide state (pure rules, file formats, parsers).
/// </summary>
public sealed class CollectionGuardTests
{
    private static readonly HashSet<string> ParallelSafe =
    [
        "Adapters.LoraConfigTests", "Adapters.LoraTargetsTests",
        "Build.NativeRepairTests", "Distributed.DataShardTests", "Distributed.LaunchTests", "Distributed.DistributedEngineTests",
        "Reliability.CraftedSafeTensorsTests", "Reliability.SafeTensorsFuzzTests",
        "Runtime.FreeCoreThreadsTests", "Runtime.MetricScheduleTests", "Runtime.OptimizersTests", "Runtime.PythonFormatTests", "Runtime.ScoresTests",
        "Runtime.TrainingArgumentsTests",
        "Support.CollectionGuardTests",
        "Training.AccumulationWindowTests", "Training.CheckpointStatesTests", "Training.LossMeterTests",
        "Training.NonFiniteLossPolicyTests", "Training.StepPlanTests", "Training.TrainingFlowTests",
    ];

    [Fact]
    public void Every_test_class_is_in_the_torch_state_collection_or_listed_as_parallel_safe()
    {
        var stray = typeof(CollectionGuardTests).Assembly.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.GetCustomAttributes<FactAttribute>().Any()))
            .Where(t => t.GetCustomAttribute<CollectionAttribute>() is null)
            .Select(t => t.FullName!["Dsl.Tests.".Length..])
            .Where(name => !ParallelSafe.Contains(name))
            .Order()
            .ToList();
        Assert.True(stray.Count == 0,
            "These test classes run in parallel with everything: add [Collection(TorchState.Name)] if they train, seed torch, " +
            "count tensors or set environment variables, else add them to ParallelSafe: " + string.Join(", ", stray));
    }
}
