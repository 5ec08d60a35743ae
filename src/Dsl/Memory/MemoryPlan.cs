using System.Globalization;
using Dsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Memory;

/// <summary>
/// What <c>Train</c> does about memory before it allocates anything: turns on gradient checkpointing
/// when <see cref="TrainingArguments.GradientCheckpointing"/> asks for it, estimates the peak
/// (<see cref="MemoryEstimate"/>), prints it, and refuses to start when it exceeds what the process may use,
/// naming the settings that would make it fit, instead of being killed by the kernel mid-run.
/// </summary>
public static class MemoryPlan
{
    /// <summary>Prepares <paramref name="model"/> for training on <paramref name="trainDataset"/> with <paramref name="args"/>.</summary>
    /// <exception cref="NotSupportedException">GradientCheckpointing is on and the model does not support it.</exception>
    /// <exception cref="InsufficientMemoryException">The estimate exceeds the memory the process may use (with <see cref="TrainingArguments.MemoryCheck"/>).</exception>
    public static MemoryEstimate? Apply<TExample>(TrainingArguments args, nn.Module model, IEnumerable<TExample> trainDataset)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(model);
        if (args.GradientCheckpointing) EnableCheckpointing(args, model);
        if (!args.MemoryCheck && args.ReleaseLargeAllocations is { } forced)
        {
            if (forced) NativeAllocator.ReleaseLargeAllocations();
            return null;
        }
        var estimate = MemoryEstimate.For(model, args, LongestExample(trainDataset));
        var available = ReadAvailable();
        bool release = args.ReleaseLargeAllocations ?? ShouldReleaseLargeAllocations(estimate.TotalBytes, available.LimitBytes);
        if (release) NativeAllocator.ReleaseLargeAllocations();
        if (!args.MemoryCheck) return null;
        if (args.Reports("console"))
            Console.Error.WriteLine(estimate + (available.LimitBytes is { } reach ? $" of {MemoryEstimate.Gib(reach)} GiB this process may use" : "") +
                                    (release ? "" : $"; glibc's heap may hold up to {MemoryEstimate.Gib(estimate.TotalBytes * HeapGrowth)} GiB (ReleaseLargeAllocations off: faster)"));
        // Host memory only: on an accelerator the activations live in its memory, which this does not read.
        if (args.ResolveDevice().type == DeviceType.CPU && available.LimitBytes is { } limit && estimate.TotalBytes > limit)
            throw new InsufficientMemoryException(Refusal(args, model, estimate, available, limit));
        return estimate;
    }

    /// <summary>
    /// How much more than the tensors in use glibc's heap may hold when large blocks are not returned
    /// (<see cref="TrainingArguments.ReleaseLargeAllocations"/> off): 2.6 measured on MiniLM's shape at 512 × 32
    /// with checkpointing (3.19 GiB against 1.25 GiB), rounded up.
    /// </summary>
    public const double HeapGrowth = 3.0;

    /// <summary>
    /// <see cref="TrainingArguments.ReleaseLargeAllocations"/>'s default: return large blocks (slower steps) only
    /// when the heap's growth could take the process past what it may use; where that is unknown, keep the speed.
    /// </summary>
    public static bool ShouldReleaseLargeAllocations(double estimatedBytes, double? limitBytes) =>
        limitBytes is { } limit && estimatedBytes * HeapGrowth > limit;

    /// <summary>What the process may use; tests replace it.</summary>
    internal static Func<AvailableMemory> ReadAvailable { get; set; } = AvailableMemory.Read;

    /// <summary>
    /// The estimate for <paramref name="model"/> trained on <paramref name="trainDataset"/>, without
    /// enabling or refusing anything (for a program that prints it itself).
    /// </summary>
    public static MemoryEstimate Estimate<TExample>(TrainingArguments args, nn.Module model, IEnumerable<TExample> trainDataset) =>
        MemoryEstimate.For(model, args, LongestExample(trainDataset));

    private static void EnableCheckpointing(TrainingArguments args, nn.Module model)
    {
        var options = GradientCheckpointingOptions.FromKwargs(args.GradientCheckpointingKwargs);
        if (model is not IGradientCheckpointing checkpointing)
            // HF: "{model class} does not support gradient checkpointing."
            throw new NotSupportedException(
                $"TrainingArguments.GradientCheckpointing is on, but {model.GetType().Name} does not support gradient checkpointing. " +
                "Implement Dsl.Memory.IGradientCheckpointing on it and run its blocks through GradientCheckpointing.Checkpoint(block, ...) " +
                "in its forward, or turn GradientCheckpointing off.");
        checkpointing.GradientCheckpointingEnable(options);
    }

    // The longest example bounds the longest batch (batches are padded to their longest example).
    // A list of IHasLength examples is read whole (lengths only); a stream is not touched.
    private static int? LongestExample<TExample>(IEnumerable<TExample> dataset)
    {
        if (dataset is not IReadOnlyList<TExample> list || !typeof(IHasLength).IsAssignableFrom(typeof(TExample))) return null;
        int longest = 0;
        for (int i = 0; i < list.Count; i++)
            if (list[i] is IHasLength item) longest = Math.Max(longest, item.Length);
        return longest;
    }

    private static string Refusal(TrainingArguments args, nn.Module model, MemoryEstimate estimate, AvailableMemory available, double limit)
    {
        var changes = new List<string>();
        int? length = estimate.Query?.SequenceLength;
        int batch = args.PerDeviceTrainBatchSize;
        for (int smaller = batch / 2; smaller >= 1; smaller /= 2)
        {
            var fewer = MemoryEstimate.For(model, args with { PerDeviceTrainBatchSize = smaller }, length);
            if (fewer.TotalBytes > limit && smaller > 1) continue;
            changes.Add($"PerDeviceTrainBatchSize {batch} → {smaller} with GradientAccumulationSteps {args.GradientAccumulationSteps} → " +
                        $"{args.GradientAccumulationSteps * batch / smaller} (the same updates; about {MemoryEstimate.Gib(fewer.TotalBytes)} GiB)");
            break;
        }
        if (!args.GradientCheckpointing && model is IGradientCheckpointing)
            changes.Add($"GradientCheckpointing = true (about {MemoryEstimate.Gib(MemoryEstimate.For(model, args with { GradientCheckpointing = true }, length).TotalBytes)} GiB)");
        if (estimate.Activations?.Advice is { } advice) changes.Add(advice);
        if (length is int tokens) changes.Add($"shorter sequences (the longest example has {tokens.ToString(CultureInfo.InvariantCulture)})");
        return $"Training would need about {MemoryEstimate.Gib(estimate.TotalBytes)} GiB, more than the {MemoryEstimate.Gib(limit)} GiB this process " +
               $"may use ({available.Source}); it would be killed part-way. {estimate}. To fit, change: {string.Join("; ", changes)}. " +
               "Set TrainingArguments.MemoryCheck = false to start anyway.";
    }
}
