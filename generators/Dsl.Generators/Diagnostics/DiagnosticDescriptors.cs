using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Diagnostics;

/// <summary>
/// Every diagnostic of the DSL. DSL0xx: the DSL's contract (errors), DSL02x among them the
/// constant <c>TrainingArguments</c> values that can never work; DSL1xx: performance (warnings).
/// Each has a section in docs/diagnostics.md. Who reports which: the generator reports what stops
/// it from generating; the analyzers in <c>Analyzers/</c> report the rest, and every rule with a
/// code fix (see each analyzer's <c>SupportedDiagnostics</c>). No ID is reported by both. Help
/// links: see <see cref="HelpLinks"/>.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Contract = "Dsl.Contract";
    private const string Settings = "Dsl.Settings";
    private const string Performance = "Dsl.Performance";

    private static DiagnosticDescriptor Error(string id, string title, string message, string category = Contract) =>
        new(id, title, message, category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinks.Default(id));

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Performance, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLinks.Default(id));

    // DSL001–DSL019: the shape of a [Trainer] class.

    public static readonly DiagnosticDescriptor TrainerNotPartial = Error("DSL001",
        "A [Trainer] class must be partial",
        "The [Trainer] class '{0}' must be declared partial so the generator can add Train, Evaluate and Predict");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error("DSL002",
        "The types containing a [Trainer] must be partial",
        "'{0}' contains the [Trainer] class '{1}' and must be declared partial");

    public static readonly DiagnosticDescriptor TrainerIsGeneric = Error("DSL003",
        "A [Trainer] class cannot be generic",
        "The [Trainer] class '{0}' is generic; the generated loop needs concrete model and batch types");

    public static readonly DiagnosticDescriptor MissingTrainStep = Error("DSL004",
        "A [Trainer] needs a [TrainStep]",
        "The [Trainer] class '{0}' has no [TrainStep] method; add 'Tensor Step(TBatch batch)' returning the loss");

    public static readonly DiagnosticDescriptor DuplicateMember = Error("DSL005",
        "Only one method may carry this attribute",
        "'{0}' and '{1}' are both marked [{2}]; a trainer has one");

    public static readonly DiagnosticDescriptor InvalidStepSignature = Error("DSL006",
        "A step method has the wrong signature",
        "[{0}] method '{1}' must be an instance, non-generic method taking one batch (a type implementing IBatch<TBatch, TExample>) and returning Tensor or StepOutput{2}");

    public static readonly DiagnosticDescriptor EvalBatchMismatch = Error("DSL007",
        "The [EvalStep] batch type differs from the [TrainStep]'s",
        "[EvalStep] '{0}' takes '{1}' but [TrainStep] '{2}' takes '{3}'; both must take the same batch type");

    public static readonly DiagnosticDescriptor InvalidOptimizerSignature = Error("DSL008",
        "An [Optimizer] method has the wrong signature",
        "[Optimizer] method '{0}' must be an instance, non-generic method with no parameters returning torch.optim.Optimizer or a subclass{1}");

    public static readonly DiagnosticDescriptor InvalidSchedulerSignature = Error("DSL009",
        "A [Scheduler] method has the wrong signature",
        "[Scheduler] method '{0}' must be an instance, non-generic method '(Optimizer optimizer, int trainingSteps) → LRScheduler'{1}");

    public static readonly DiagnosticDescriptor InvalidMetricSignature = Error("DSL010",
        "A [Metric] method has the wrong signature",
        "[Metric] method '{0}' must be an instance, non-generic method '(Tensor predictions, Tensor labels) → double'{1}");

    public static readonly DiagnosticDescriptor InvalidHookSignature = Error("DSL011",
        "A hook method has the wrong signature",
        "[{0}] method '{1}' must be an instance, non-generic method taking nothing or {2}{3}");

    public static readonly DiagnosticDescriptor AsyncHook = Error("DSL012",
        "Hooks and steps cannot be async",
        "[{0}] method '{1}' is async or returns a Task; the loop calls it synchronously on the training thread");

    public static readonly DiagnosticDescriptor MissingModel = Error("DSL013",
        "A [Trainer] needs a model",
        "The [Trainer] class '{0}' has no field, property or primary-constructor parameter of a torch.nn.Module type{1}");

    public static readonly DiagnosticDescriptor AmbiguousModel = Error("DSL014",
        "Which member is the model?",
        "The [Trainer] class '{0}' has several nn.Module members ({1}); mark the one to train with [Model]");

    public static readonly DiagnosticDescriptor MissingArguments = Error("DSL015",
        "A [Trainer] needs TrainingArguments",
        "The [Trainer] class '{0}' {1}");

    public static readonly DiagnosticDescriptor NotABatchType = Error("DSL016",
        "The batch type does not implement IBatch<TBatch, TExample>",
        "'{0}', the batch type of [{1}] '{2}', must implement Dsl.IBatch<{0}, TExample> so the loop can collate it{3}");

    public static readonly DiagnosticDescriptor MetricsWithoutLogits = Error("DSL017",
        "[Metric] methods need a step that returns StepOutput",
        "[Metric] '{0}' needs predictions, but '{1}' returns only the loss; return new StepOutput(loss, logits, labels) from it or add an [EvalStep] that does");

    public static readonly DiagnosticDescriptor DuplicateMetricName = Error("DSL018",
        "Two metrics have the same name",
        "[Metric] methods '{0}' and '{1}' are both reported as 'eval_{2}'; give one another name with [Metric(\"name\")]");

    public static readonly DiagnosticDescriptor ReservedMemberName = Error("DSL019",
        "A member's name clashes with a generated member",
        "The [Trainer] class '{0}' declares '{1}', which the generator writes; rename it");

    // DSL020–DSL029: constant TrainingArguments values that can never work (TrainingArguments.Validate throws on them).

    public static readonly DiagnosticDescriptor GradientAccumulationNotPositive = Error("DSL020",
        "GradientAccumulationSteps must be at least 1",
        "TrainingArguments.GradientAccumulationSteps is {0}; it must be at least 1 (the batches whose gradients add up to one optimizer step)", Settings);

    public static readonly DiagnosticDescriptor StepsIntervalInvalid = Error("DSL021",
        "A steps interval must be above 0 with a Steps strategy",
        "TrainingArguments.{0} is {1} with {2}; it must be above 0, and a whole number when 1 or more (below 1 it is a fraction of the run)", Settings);

    public static readonly DiagnosticDescriptor SaveTotalLimitNegative = Error("DSL022",
        "SaveTotalLimit cannot be negative",
        "TrainingArguments.SaveTotalLimit is {0}; it must be null or 0 (keep every checkpoint), or the number of checkpoints to keep", Settings);

    public static readonly DiagnosticDescriptor LearningRateNotPositive = Error("DSL023",
        "LearningRate must be above 0",
        "TrainingArguments.LearningRate is {0}; it must be a finite number above 0", Settings);

    public static readonly DiagnosticDescriptor WarmupRatioOutOfRange = Error("DSL024",
        "WarmupRatio must be in [0, 1)",
        "TrainingArguments.WarmupRatio is {0}; it must be in [0, 1) (the fraction of the training steps spent warming up)", Settings);

    public static readonly DiagnosticDescriptor Bf16AndFp16 = Error("DSL025",
        "Bf16 and Fp16 cannot both be set",
        "TrainingArguments sets both {0} and {1}; choose one precision", Settings);

    // DSL032 ("Fp16 is not supported") is retired: Fp16 trains with dynamic loss scaling. The ID is not reused.

    public static readonly DiagnosticDescriptor SaveBestWithoutMetric = Error("DSL033",
        "SaveStrategy.Best needs a metric",
        "SaveStrategy is Best, which saves on a new best MetricForBestModel, but no metric is set; set MetricForBestModel (or LoadBestModelAtEnd, which defaults it to loss)", Settings);

    public static readonly DiagnosticDescriptor LoadBestWithoutEvaluation = Error("DSL026",
        "LoadBestModelAtEnd needs evaluations",
        "LoadBestModelAtEnd needs evaluations to pick the best model, but EvalStrategy is No{0}; set EvalStrategy to Steps or Epoch", Settings);

    public static readonly DiagnosticDescriptor LoadBestStrategiesDiffer = Error("DSL027",
        "LoadBestModelAtEnd needs matching save and eval strategies",
        "LoadBestModelAtEnd needs the checkpoints to be saved where evaluations are (HF's rule), but SaveStrategy is {0} and EvalStrategy is {1}; make them match, or set SaveStrategy to Best (saves on each new best)", Settings);

    public static readonly DiagnosticDescriptor LoadBestStepsNotMultiple = Error("DSL028",
        "LoadBestModelAtEnd needs SaveSteps to be a multiple of EvalSteps",
        "LoadBestModelAtEnd needs every checkpoint to be saved at an evaluation step (HF's rule), but SaveSteps ({0}) is not a multiple of EvalSteps ({1}{2})", Settings);

    public static readonly DiagnosticDescriptor UnknownMetricForBestModel = Error("DSL029",
        "MetricForBestModel names no metric of the trainer",
        "MetricForBestModel is '{0}', but '{1}' reports {2}; {3}", Settings);

    public static readonly DiagnosticDescriptor SettingOutOfRange = Error("DSL038",
        "A TrainingArguments value is out of its range",
        "TrainingArguments.{0} is {1}; it must be {2}", Settings);

    public static readonly DiagnosticDescriptor NoTrainingLength = Error("DSL039",
        "NumTrainEpochs must be above 0 unless MaxSteps is set",
        "TrainingArguments.NumTrainEpochs is {0} and MaxSteps is not set, so the run has no length; train for more than 0 epochs, or set MaxSteps to the number of optimizer steps", Settings);

    public static readonly DiagnosticDescriptor UnknownSettingName = Error("DSL047",
        "A TrainingArguments value names something unknown",
        "TrainingArguments.{0} has '{1}', which is not {2}; use {3}", Settings);

    // DSL030–: more of the contract, found by the analyzers.

    public static readonly DiagnosticDescriptor HookReturnType = Error("DSL030",
        "A hook returns void or TrainerControl",
        "[{0}] method '{1}' returns '{2}'; a hook returns void or TrainerControl");

    public static readonly DiagnosticDescriptor StepDoesLoopWork = Error("DSL031",
        "A [TrainStep] must not do the loop's work",
        "{0} calls '{1}', which the generated loop already calls {2}; remove the call");

    public static readonly DiagnosticDescriptor TrainerDerivesFromTrainer = Error("DSL034",
        "A [Trainer] cannot derive from another [Trainer]",
        "The [Trainer] class '{0}' derives from the [Trainer] class '{1}', which has its own generated loop; derive both from a base class without [Trainer] that holds what they share");

    // DSL035 ("the loop's model or arguments parameter is also passed to the base class") is retired: the loop reads
    // such a parameter through a field the generated code initializes from it, which captures nothing. Not reused.

    public static readonly DiagnosticDescriptor NotATrainer = Error("DSL036",
        "Trainer members in a class without [Trainer]",
        "'{0}' has {1} methods, but no [Trainer] attribute, so no Train or Evaluate is generated for it; add [Trainer] (and 'partial'){2}");

    public static readonly DiagnosticDescriptor TrainerIsNotAClass = Error("DSL037",
        "[Trainer] goes on a class",
        "[Trainer] is on the record '{0}', which is not generated: a record's copies ('with') and value equality would share one model and training state between trainers; declare it 'partial class {0}'");

    public static readonly DiagnosticDescriptor PlateauWithoutEvaluation = Error("DSL048",
        "ReduceLROnPlateau needs evaluations",
        "TrainingArguments.LrSchedulerType is ReduceLROnPlateau, which steps with the evaluation metric, but EvalStrategy is No{0}; set EvalStrategy to Steps or Epoch", Settings);

    public static readonly DiagnosticDescriptor UnsupportedAttention = Error("DSL052",
        "BERT does not support this attention implementation",
        "{0}.AttnImplementation is '{1}', which Dsl.Text's BERT does not support{2}; use \"sdpa\" or \"eager\" (or leave it null for the default)", Settings);

    public static readonly DiagnosticDescriptor CheckpointingUnsupported = Error("DSL053",
        "The model does not support gradient checkpointing",
        "TrainingArguments.GradientCheckpointing is true, but '{0}' trains a {1}, which does not implement Dsl.Memory.IGradientCheckpointing (Train refuses it when it starts); implement it and run its blocks through GradientCheckpointing.Checkpoint, or turn the setting off", Settings);

    public static readonly DiagnosticDescriptor TrainWithoutEvalDataset = Error("DSL041",
        "EvalStrategy needs an evaluation dataset",
        "'{0}' gets no evalDataset, but the TrainingArguments created in this method set EvalStrategy = {1}, which evaluates during training (Train throws when it starts); pass an evaluation dataset, or set EvalStrategy = IntervalStrategy.No", Settings);

    public static readonly DiagnosticDescriptor StepWithoutGradients = Error("DSL042",
        "A train step turns gradients off",
        "[TrainStep] '{0}' returns its loss from under '{1}', so the loss has no gradient and the loop's backward() fails; compute the loss outside it (evaluation already runs under no_grad)");

    public static readonly DiagnosticDescriptor StepReturnsDetached = Error("DSL043",
        "A train step returns a detached loss",
        "[TrainStep] '{0}' returns '{1}', which is cut from the autograd graph, so the loop's backward() fails; return the loss itself");

    public static readonly DiagnosticDescriptor StepReturnsDisposed = Error("DSL044",
        "A train step returns a tensor it disposes",
        "[TrainStep] '{0}' returns '{1}', which {2} disposes as the step returns, so the loop reads a freed tensor; {3}");

    public static readonly DiagnosticDescriptor EvalStepCallsBackward = Error("DSL045",
        "An [EvalStep] must not call backward()",
        "[EvalStep] '{0}' calls backward(), but evaluation runs under no_grad and must not change the gradients; remove the call");
    // DSL040–: settings that need others (early stopping).

    public static readonly DiagnosticDescriptor EarlyStoppingWithoutEvaluation = Error("DSL040",
        "Early stopping needs evaluations and a metric",
        "EarlyStoppingPatience stops training when an evaluation metric stops improving, but {0}; {1}", Settings);

    public static readonly DiagnosticDescriptor StreamWithoutMaxSteps = Error("DSL046",
        "Training on a stream needs MaxSteps",
        "'{0}.Train' is given a stream ({1}), which has no length, but its TrainingArguments leave MaxSteps at {2}; set MaxSteps to the number of optimizer steps, or pass an IReadOnlyList",
        Settings);

    // DSL049–: hooks and named evaluation sets.

    public static readonly DiagnosticDescriptor HookDoesLoopWork = Error("DSL049",
        "A hook must not do the loop's work",
        "{0} calls '{1}', which the generated loop already calls {2}; remove the call");

    public static readonly DiagnosticDescriptor HookControlDropped = Error("DSL050",
        "A hook returns a TrainerControl the loop cannot act on",
        "[{0}] '{1}' returns {2}, {3}; {4}");

    public static readonly DiagnosticDescriptor MetricNotOfNamedEvalSets = Error("DSL051",
        "The best-model metric names no key of the named evaluation sets",
        "{0}, but '{1}' evaluates the named datasets {2}, whose keys are eval_{{name}}_loss and eval_{{name}}_{{metric}}, so '{3}' is never reported and Train fails at the first evaluation; {4}",
        Settings);

    // DSL1xx: performance.

    public static readonly DiagnosticDescriptor HostSyncInStep = Warning("DSL101",
        "A train step reads a tensor on the host",
        "'{1}' in {0} waits for the device and copies to the host on every batch; keep the tensor (the loop reads the loss only at logging steps)");

    public static readonly DiagnosticDescriptor TensorEscapesStep = Warning("DSL102",
        "A tensor created in a train step escapes its dispose scope",
        "{0} stores {1} in '{2}', but the step's dispose scope frees it when the step ends; store a number, or call DetachFromDisposeScope() and dispose it yourself");

    public static readonly DiagnosticDescriptor AllocationInStep = Warning("DSL103",
        "A train step creates an optimizer, schedule, module or data loader",
        "{0} creates a new {1} '{2}' on every batch; create it once (in the constructor, [Optimizer] or [Scheduler]) and reuse it");
}
