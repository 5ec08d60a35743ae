using Dsl.Memory;
using Dsl.Tests.Support;
using TorchSharp;

namespace Dsl.Tests.Memory;

/// <summary>The memory estimate Train makes before it allocates anything, and its refusal.</summary>
[Collection(TorchState.Name)]
public sealed class MemoryPlanTests
{
    private static readonly List<Sample> Data = SampleData.Make(32);

    private static T WithAvailable<T>(double freeBytes, Func<T> action)
    {
        var before = MemoryPlan.ReadAvailable;
        MemoryPlan.ReadAvailable = () => new AvailableMemory(ResidentBytes: 100 << 20, freeBytes, "a test's limit");
        try { return action(); }
        finally { MemoryPlan.ReadAvailable = before; }
    }

    [Fact]
    public void Training_that_cannot_fit_is_refused_before_it_starts_naming_what_to_change()
    {
        using var temp = new TempDirectory();
        using var model = CheckpointedNet.Create();
        var trainer = new CheckpointedTrainer(model, Args.Quiet(temp.Path) with { PerDeviceTrainBatchSize = 16 });
        var e = WithAvailable(0, () => Assert.Throws<InsufficientMemoryException>(() => trainer.Train(Data)));
        Assert.Contains("Training would need about", e.Message);
        Assert.Contains("this process may use (a test's limit)", e.Message);
        Assert.Contains("PerDeviceTrainBatchSize 16 → ", e.Message);
        Assert.Contains("GradientCheckpointing = true", e.Message);
        Assert.Contains("MemoryCheck = false", e.Message);
        Assert.Equal(0, trainer.State.GlobalStep);
    }

    [Fact]
    public void With_MemoryCheck_off_the_same_run_trains()
    {
        using var temp = new TempDirectory();
        using var model = CheckpointedNet.Create();
        var trainer = new CheckpointedTrainer(model, Args.Quiet(temp.Path) with { MemoryCheck = false });
        WithAvailable(0, () => trainer.Train(Data));
        Assert.Equal(4, trainer.State.GlobalStep);
    }

    [Fact]
    public void The_estimate_is_printed_when_logs_go_to_the_console()
    {
        using var temp = new TempDirectory();
        using var model = CheckpointedNet.Create();
        var trainer = new CheckpointedTrainer(model, Args.Quiet(temp.Path) with { ReportTo = ["console"], LoggingSteps = 100 });
        string errors = ConsoleCapture.Errors(() => WithAvailable(8L << 30, () => trainer.Train(Data)));
        Assert.Contains("Memory estimate: ", errors);
        Assert.Contains("of 8.10 GiB this process may use", errors);   // 100 MiB resident + 8 GiB free
        Assert.Contains("activations unknown (the examples do not implement IHasLength)", errors);
    }

    [Theory]
    [InlineData(1.0, 8.0, false)]     // 3 GiB of heap at most fits in 8: keep glibc's heap and its speed
    [InlineData(3.0, 8.0, true)]      // 9 GiB could not: every large block returned when freed
    [InlineData(2.0, 6.0, false)]     // exactly the limit still fits
    [InlineData(2.0, null, false)]    // what the process may use is unknown: speed
    public void By_default_large_blocks_are_returned_only_when_the_heap_could_outgrow_the_limit(double estimateGib, double? limitGib, bool release)
    {
        const double gib = 1L << 30;
        Assert.Equal(3.0, MemoryPlan.HeapGrowth);
        Assert.Equal(release, MemoryPlan.ShouldReleaseLargeAllocations(estimateGib * gib, limitGib * gib));
    }

    [Fact]
    public void The_printed_estimate_says_when_glibcs_heap_is_kept_and_how_large_it_may_grow()
    {
        using var temp = new TempDirectory();
        using var model = CheckpointedNet.Create();
        var kept = new CheckpointedTrainer(model, Args.Quiet(temp.Path) with { ReportTo = ["console"], LoggingSteps = 100 });
        string errors = ConsoleCapture.Errors(() => WithAvailable(8L << 30, () => kept.Train(Data)));
        Assert.Contains("glibc's heap may hold up to", errors);
        Assert.Contains("(ReleaseLargeAllocations off: faster)", errors);

        using var other = new TempDirectory();
        var released = new CheckpointedTrainer(model, Args.Quiet(other.Path) with { ReportTo = ["console"], LoggingSteps = 100, ReleaseLargeAllocations = true });
        errors = ConsoleCapture.Errors(() => WithAvailable(8L << 30, () => released.Train(Data)));
        Assert.Contains("Memory estimate: ", errors);
        Assert.DoesNotContain("glibc's heap may hold", errors);
    }

    [Fact]
    public void Gradients_optimizer_state_and_low_precision_copies_are_counted_per_trainable_parameter()
    {
        using var model = TinyNet.Create();
        long count = model.parameters().Sum(p => p.numel());
        var adam = MemoryEstimate.For(model, new TrainingArguments(), sequenceLength: null);
        Assert.Equal(count, adam.ParameterCount);
        Assert.Equal(4.0 * count, adam.GradientBytes);
        Assert.Equal(8.0 * count, adam.OptimizerBytes);
        Assert.Equal(0, adam.PrecisionCopyBytes);
        Assert.Null(adam.Activations);
        Assert.Equal(0, MemoryEstimate.For(model, new TrainingArguments { Optim = OptimizerType.Sgd }, null).OptimizerBytes);
        // A plain module under Bf16 trains on bf16 working copies with bf16 gradients: 4 more bytes a parameter.
        Assert.Equal(4.0 * count, MemoryEstimate.For(model, new TrainingArguments { Bf16 = true }, null).PrecisionCopyBytes);
        foreach (var p in model.parameters()) p.requires_grad_(false);
        Assert.Equal(0, MemoryEstimate.For(model, new TrainingArguments(), null).GradientBytes);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    [InlineData("none")]
    public void The_room_is_the_smaller_of_the_machines_and_the_cgroups(string cgroup)
    {
        using var root = new TempDirectory();
        void Write(string path, string text)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(root[path])!);
            File.WriteAllText(root[path], text);
        }
        Write("proc/meminfo", "MemTotal:       24000000 kB\nMemAvailable:   20971520 kB\n");   // 20 GiB
        Write("proc/self/status", "Name:\tdotnet\nVmRSS:\t  1048576 kB\n");                 // 1 GiB
        switch (cgroup)
        {
            case "v1":
                Write("proc/self/cgroup", "12:cpu,cpuacct:/\n7:memory:/capped\n");
                Write("sys/fs/cgroup/memory/capped/memory.limit_in_bytes", (8L << 30) + "\n");
                Write("sys/fs/cgroup/memory/capped/memory.usage_in_bytes", (3L << 30) + "\n");
                Write("sys/fs/cgroup/memory/capped/memory.stat", "cache 5\ntotal_inactive_file " + (1L << 30) + "\n");
                break;
            case "v2":
                Write("proc/self/cgroup", "0::/user.slice/capped\n");
                Write("sys/fs/cgroup/user.slice/capped/memory.max", (8L << 30) + "\n");
                Write("sys/fs/cgroup/user.slice/capped/memory.current", (3L << 30) + "\n");
                Write("sys/fs/cgroup/user.slice/capped/memory.stat", "anon 1\ninactive_file " + (1L << 30) + "\n");
                break;
            default:
                Write("proc/self/cgroup", "0::/\n");
                Write("sys/fs/cgroup/memory.max", "max\n");
                Write("sys/fs/cgroup/memory.current", "123\n");
                break;
        }
        var available = AvailableMemory.Read(root.Path);
        Assert.Equal(1L << 30, available.ResidentBytes);
        // A cgroup of 8 GiB using 3 GiB, 1 GiB of it reclaimable page cache: 6 GiB more, 7 GiB in all.
        Assert.Equal(cgroup == "none" ? 21L << 30 : 7L << 30, available.LimitBytes);
        Assert.Equal(cgroup == "none" ? "MemAvailable" : "the cgroup's memory limit", available.Source);
    }
}
