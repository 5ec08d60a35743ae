namespace Dsl;

// Hooks: instance methods taking their event (or nothing) and returning void or TrainerControl.
// They fire in Hugging Face Trainer's order (trainer.py, _inner_training_loop):
//   train begin → per epoch: epoch begin → per micro-batch: step begin (first of a window) → forward
//   and backward → substep end (not the window's last) or: clip → pre-optimizer step → optimizer.step()
//   → optimizer step → schedule → step end → log → evaluate (prediction step per batch) → save;
//   epoch end → log → evaluate → save; train end last.

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

/// <summary>Called once when training begins, after a resume is loaded, with a <see cref="TrainBeginEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnTrainBeginAttribute : Attribute;

/// <summary>Called at the start of every epoch with an <see cref="EpochBeginEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnEpochBeginAttribute : Attribute;

/// <summary>Called before the first micro-batch of every optimizer step with a <see cref="StepBeginEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnStepBeginAttribute : Attribute;

/// <summary>Called after every micro-batch that does not end its accumulation window with a <see cref="SubstepEndEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnSubstepEndAttribute : Attribute;

/// <summary>Called after clipping and before <c>optimizer.step()</c>, gradients in place, with a <see cref="PreOptimizerStepEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnPreOptimizerStepAttribute : Attribute;

/// <summary>Called right after <c>optimizer.step()</c> with an <see cref="OptimizerStepEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnOptimizerStepAttribute : Attribute;

/// <summary>Called after every batch of an evaluation or prediction with a <see cref="PredictionStepEvent"/>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OnPredictionStepAttribute : Attribute;
