namespace Dsl;

/// <summary>
/// Marks a <c>partial</c> class as a trainer: the source generator writes its <c>Train</c>,
/// <c>Evaluate</c>, <c>Predict</c> and <c>State</c> members from the members it declares.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class TrainerAttribute : Attribute;

/// <summary>
/// Names the model a trainer trains, when the class holds more than one <c>nn.Module</c>.
/// Put it on a field, a property or a primary-constructor parameter.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter, Inherited = false)]
public sealed class ModelAttribute : Attribute;

/// <summary>
/// Creates the optimizer: an instance method <c>() → torch.optim.Optimizer</c>. Without one the
/// trainer uses AdamW with Hugging Face's defaults (see <see cref="Optimizers.AdamW"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OptimizerAttribute : Attribute;

/// <summary>
/// Creates the learning-rate schedule: an instance method
/// <c>(Optimizer optimizer, int trainingSteps) → LRScheduler</c>. Without one the trainer uses
/// <see cref="TrainingArguments.LrSchedulerType"/> (see <see cref="Schedules.FromArguments"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class SchedulerAttribute : Attribute;

/// <summary>
/// One training step: an instance method <c>(TBatch batch) → Tensor</c> (the loss) or
/// <c>→ StepOutput</c>. It computes the loss only: the generated loop calls <c>backward()</c>,
/// clips, and steps the optimizer and the schedule.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class TrainStepAttribute : Attribute;

/// <summary>
/// One evaluation step, with the same batch type as the train step; returns the loss or a
/// <see cref="StepOutput"/> with logits and labels for the metrics. Without one, evaluation runs the
/// train step under <c>no_grad</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class EvalStepAttribute : Attribute;

/// <summary>
/// A metric over a whole evaluation set: an instance method
/// <c>(Tensor predictions, Tensor labels) → double</c>. It is reported as <c>eval_{name}</c>, where the
/// name is the one given here or the method's name in snake_case.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class MetricAttribute : Attribute
{
    /// <summary>Uses the method's name in snake_case.</summary>
    public MetricAttribute() { }

    /// <summary>Reports the metric under <paramref name="name"/>.</summary>
    public MetricAttribute(string name) => Name = name;

    /// <summary>The metric's key without the <c>eval_</c> prefix, or null for the method's name.</summary>
    public string? Name { get; }
}
