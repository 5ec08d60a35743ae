namespace Dsl;

// Hooks: instance methods taking their event (or nothing) and returning void or TrainerControl.
// They fire in Hugging Face Trainer's order: step end → log → evaluate → save; epoch end →
// log → evaluate → save; train end last.

/// <summary>Called for every log entry (training logs, evaluation metrics, the final summary) with a <see cref="LogEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnLogAttribute : Attribute;

/// <summary>Called after every optimizer step with a <see cref="StepEndEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnStepEndAttribute : Attribute;

/// <summary>Called at the end of every epoch with an <see cref="EpochEndEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnEpochEndAttribute : Attribute;

/// <summary>Called after every evaluation with an <see cref="EvaluateEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnEvaluateAttribute : Attribute;

/// <summary>Called after every checkpoint is written with a <see cref="SaveEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnSaveAttribute : Attribute;

/// <summary>Called once when training ends with a <see cref="TrainEndEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnTrainEndAttribute : Attribute;
