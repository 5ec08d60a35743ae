using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Memory;

/// <summary>
/// The memory a training run will reach, worked out before it allocates anything: the process as it is
/// (the runtime, the data, the model's weights), plus the gradients, the optimizer's state, mixed
/// precision's copies, and the activations of the largest batch when the model can tell them
/// (<see cref="IActivationMemory"/>).
/// </summary>
public sealed record MemoryEstimate
{
    /// <summary>The process's resident memory now, the model's weights included.</summary>
    public double ResidentBytes { get; init; }

    /// <summary>The model's parameters (all of them) and their bytes, part of <see cref="ResidentBytes"/>.</summary>
    public long ParameterCount { get; init; }

    /// <summary>Bytes of the parameters in their own dtypes.</summary>
    public double ParameterBytes { get; init; }

    /// <summary>Bytes of the gradients of the trainable parameters (kept between steps: zero_grad zeroes them in place).</summary>
    public double GradientBytes { get; init; }

    /// <summary>Bytes of the optimizer's state (AdamW: two moments per trainable parameter; SGD: none).</summary>
    public double OptimizerBytes { get; init; }

    /// <summary>Bytes of mixed precision's working copies and their gradients (a module that does not cast for itself).</summary>
    public double PrecisionCopyBytes { get; init; }

    /// <summary>The activations of the largest batch, or null when the model does not estimate them.</summary>
    public ActivationMemory? Activations { get; init; }

    /// <summary>The batch and settings <see cref="Activations"/> is for.</summary>
    public ActivationQuery? Query { get; init; }

    /// <summary>The peak the run should reach.</summary>
    public double TotalBytes => ResidentBytes + GradientBytes + OptimizerBytes + PrecisionCopyBytes + (Activations?.Peak ?? 0);

    /// <summary>
    /// The estimate for training <paramref name="model"/> with <paramref name="args"/> on batches of at most
    /// <paramref name="sequenceLength"/> tokens (null: unknown, activations left out).
    /// </summary>
    public static MemoryEstimate For(nn.Module model, TrainingArguments args, int? sequenceLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(args);
        long count = 0;
        double bytes = 0, trainable = 0;
        foreach (var p in model.parameters())
        {
            count += p.numel();
            bytes += p.numel() * p.element_size();
            if (p.requires_grad) trainable += p.numel();
        }
        ScalarType? low = args.Bf16 ? ScalarType.BFloat16 : args.Fp16 ? ScalarType.Float16 : null;
        // A module that casts for itself keeps float32 weights and gradients; any other trains on
        // low-precision working copies (2 bytes) whose gradients (2 bytes) are added to the float32 masters'.
        double copies = low is not null && model is not IMixedPrecisionModel ? trainable * 4 : 0;
        var query = sequenceLength is int length && length > 0
            ? new ActivationQuery(args.PerDeviceTrainBatchSize, length, Training: true, args.GradientCheckpointing,
                model is IMixedPrecisionModel ? low : null)
            : (ActivationQuery?)null;
        return new MemoryEstimate
        {
            ResidentBytes = AvailableMemory.Read().ResidentBytes,
            ParameterCount = count,
            ParameterBytes = bytes,
            GradientBytes = trainable * 4,
            OptimizerBytes = args.Optim == OptimizerType.AdamWTorch ? trainable * 8 : 0,
            PrecisionCopyBytes = copies,
            Activations = query is { } q && model is IActivationMemory own ? own.EstimateActivations(q) : null,
            Query = query,
        };
    }

    /// <summary>One line: the total and its parts, e.g. <c>Memory estimate: 6.2 GiB (process now 1.1, ...)</c>.</summary>
    public override string ToString()
    {
        string activations = Activations is { } a
            ? $", activations {Gib(a.Kept)} kept + {Gib(a.Transient)} temporary for batches of {Query!.Value.BatchSize} × {Query.Value.SequenceLength}" +
              (Query.Value.GradientCheckpointing ? " with gradient checkpointing" : "")
            : Query is null ? ", activations unknown (the examples do not implement IHasLength)"
            : ", activations unknown (the model does not implement IActivationMemory)";
        string copies = PrecisionCopyBytes > 0 ? $", low-precision copies {Gib(PrecisionCopyBytes)}" : "";
        return $"Memory estimate: {Gib(TotalBytes)} GiB (process now {Gib(ResidentBytes)} with {ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} " +
               $"parameters, gradients {Gib(GradientBytes)}, optimizer state {Gib(OptimizerBytes)}{copies}{activations})";
    }

    /// <summary><paramref name="bytes"/> in GiB with two decimals, as the estimate prints them.</summary>
    public static string Gib(double bytes) => (bytes / (1L << 30)).ToString("0.00", CultureInfo.InvariantCulture);
}
