namespace Dsl;

/// <summary>When to log or evaluate (Hugging Face's <c>IntervalStrategy</c>).</summary>
public enum IntervalStrategy
{
    /// <summary>Never.</summary>
    No,
    /// <summary>Every <c>LoggingSteps</c> / <c>EvalSteps</c> optimizer steps.</summary>
    Steps,
    /// <summary>At the end of every epoch.</summary>
    Epoch,
}

/// <summary>When to save a checkpoint (Hugging Face's <c>SaveStrategy</c>).</summary>
public enum SaveStrategy
{
    /// <summary>Never.</summary>
    No,
    /// <summary>Every <c>SaveSteps</c> optimizer steps, and at the end of training.</summary>
    Steps,
    /// <summary>At the end of every epoch.</summary>
    Epoch,
    /// <summary>Whenever an evaluation finds a new best <c>MetricForBestModel</c>.</summary>
    Best,
}

/// <summary>The learning-rate schedules of Hugging Face's <c>get_scheduler</c>.</summary>
public enum SchedulerType
{
    /// <summary>Linear warmup, then linear decay to 0.</summary>
    Linear,
    /// <summary>Linear warmup, then half a cosine down to 0.</summary>
    Cosine,
    /// <summary>Linear warmup, then cosine with hard restarts (<c>num_cycles</c>, default 1).</summary>
    CosineWithRestarts,
    /// <summary>Linear warmup, then polynomial decay to <c>lr_end</c> (default 1e-7) with <c>power</c> (default 1).</summary>
    Polynomial,
    /// <summary>A constant rate.</summary>
    Constant,
    /// <summary>Linear warmup, then constant.</summary>
    ConstantWithWarmup,
}

/// <summary>The optimizer a trainer without <c>[Optimizer]</c> uses (Hugging Face's <c>optim</c>).</summary>
public enum OptimizerType
{
    /// <summary><c>adamw_torch</c>: AdamW with <c>AdamBeta1</c>, <c>AdamBeta2</c>, <c>AdamEpsilon</c>, <c>WeightDecay</c>.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("adamw_torch")]
    AdamWTorch,
    /// <summary><c>sgd</c>: plain SGD with <c>WeightDecay</c>.</summary>
    Sgd,
}

/// <summary>What a NaN or infinite loss or gradient norm does (<see cref="TrainingArguments.NonFiniteLoss"/>).</summary>
/// <remarks>In a data-parallel run the policy acts on the gradient norm (the same on every rank), so it
/// needs <see cref="TrainingArguments.MaxGradNorm"/> above 0; a rank's own NaN loss is only a warning.</remarks>
public enum NonFiniteLossPolicy
{
    /// <summary>Warn once and carry on, as HF does: the optimizer applies the step.</summary>
    CarryOn,
    /// <summary>Warn once and skip the optimizer and schedule step of every such step, as HF does for an
    /// Fp16 overflow (weights and optimizer state stay as they were; the step still counts). Reads the
    /// loss every step, a host sync on accelerators.</summary>
    SkipStep,
    /// <summary>Stop at the first one without applying it or saving again, so the last checkpoint written
    /// stays the newest; Train throws <see cref="NonFiniteLossException"/> naming the step and that checkpoint.
    /// Reads the loss every step, a host sync on accelerators.</summary>
    Stop,
}

/// <summary>Training stopped at a NaN or infinite loss or gradient norm (<see cref="NonFiniteLossPolicy.Stop"/>).</summary>
public sealed class NonFiniteLossException(string message, int step, string? lastCheckpoint) : InvalidOperationException(message)
{
    /// <summary>The optimizer step (1-based) whose loss or gradient norm was not finite.</summary>
    public int Step { get; } = step;

    /// <summary>The newest checkpoint written before it, or null.</summary>
    public string? LastCheckpoint { get; } = lastCheckpoint;
}
