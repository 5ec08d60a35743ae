using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Diagnostics;

/// <summary>
/// Every diagnostic of the DSL. DSL0xx: the DSL's contract (errors unless noted); DSL1xx:
/// performance (warnings). Each has a section in docs/diagnostics.md.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Contract = "Dsl.Contract";
    private const string HelpBase = "https://github.com/dsl-dotnet/dsl/blob/main/docs/diagnostics.md#";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Contract, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + id.ToLowerInvariant());

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
        "[{0}] method '{1}' must be an instance, non-generic method taking one batch (a type implementing IBatch<TBatch, TExample>) and returning Tensor or StepOutput");

    public static readonly DiagnosticDescriptor EvalBatchMismatch = Error("DSL007",
        "The [EvalStep] batch type differs from the [TrainStep]'s",
        "[EvalStep] '{0}' takes '{1}' but [TrainStep] '{2}' takes '{3}'; both must take the same batch type");

    public static readonly DiagnosticDescriptor InvalidOptimizerSignature = Error("DSL008",
        "An [Optimizer] method has the wrong signature",
        "[Optimizer] method '{0}' must be an instance, non-generic method with no parameters returning torch.optim.Optimizer or a subclass");

    public static readonly DiagnosticDescriptor InvalidSchedulerSignature = Error("DSL009",
        "A [Scheduler] method has the wrong signature",
        "[Scheduler] method '{0}' must be an instance, non-generic method '(Optimizer optimizer, int trainingSteps) → LRScheduler'{1}");

    public static readonly DiagnosticDescriptor InvalidMetricSignature = Error("DSL010",
        "A [Metric] method has the wrong signature",
        "[Metric] method '{0}' must be an instance, non-generic method '(Tensor predictions, Tensor labels) → double'");

    public static readonly DiagnosticDescriptor InvalidHookSignature = Error("DSL011",
        "A hook method has the wrong signature",
        "[{0}] method '{1}' must be an instance, non-generic method taking nothing or a {2} and returning void or TrainerControl");

    public static readonly DiagnosticDescriptor AsyncHook = Error("DSL012",
        "Hooks and steps cannot be async",
        "[{0}] method '{1}' is async or returns a Task; the loop calls it synchronously on the training thread");

    public static readonly DiagnosticDescriptor MissingModel = Error("DSL013",
        "A [Trainer] needs a model",
        "The [Trainer] class '{0}' has no field, property or primary-constructor parameter of a torch.nn.Module type");

    public static readonly DiagnosticDescriptor AmbiguousModel = Error("DSL014",
        "Which member is the model?",
        "The [Trainer] class '{0}' has several nn.Module members ({1}); mark the one to train with [Model]");

    public static readonly DiagnosticDescriptor MissingArguments = Error("DSL015",
        "A [Trainer] needs TrainingArguments",
        "The [Trainer] class '{0}' {1}");

    public static readonly DiagnosticDescriptor NotABatchType = Error("DSL016",
        "The batch type does not implement IBatch<TBatch, TExample>",
        "'{0}', the batch type of [{1}] '{2}', must implement Dsl.IBatch<{0}, TExample> so the loop can collate it");

    public static readonly DiagnosticDescriptor MetricsWithoutLogits = Error("DSL017",
        "[Metric] methods need a step that returns StepOutput",
        "[Metric] '{0}' needs predictions, but '{1}' returns only the loss; return new StepOutput(loss, logits, labels) from it or add an [EvalStep] that does");

    public static readonly DiagnosticDescriptor DuplicateMetricName = Error("DSL018",
        "Two metrics have the same name",
        "[Metric] methods '{0}' and '{1}' are both reported as 'eval_{2}'; give one another name with [Metric(\"name\")]");

    public static readonly DiagnosticDescriptor ReservedMemberName = Error("DSL019",
        "A member's name clashes with a generated member",
        "The [Trainer] class '{0}' declares '{1}', which the generator writes; rename it");
}
