namespace Dsl.Generators;

/// <summary>
/// Every runtime and TorchSharp type the generator knows, by metadata name (for lookups) and by
/// emitted name (for generated code). The generator never references the runtime assembly.
/// </summary>
internal static class KnownNames
{
    // Attributes (metadata names)
    public const string TrainerAttribute = "Dsl.TrainerAttribute";
    public const string ModelAttribute = "Dsl.ModelAttribute";
    public const string OptimizerAttribute = "Dsl.OptimizerAttribute";
    public const string SchedulerAttribute = "Dsl.SchedulerAttribute";
    public const string TrainStepAttribute = "Dsl.TrainStepAttribute";
    public const string EvalStepAttribute = "Dsl.EvalStepAttribute";
    public const string MetricAttribute = "Dsl.MetricAttribute";
    public const string OnLogAttribute = "Dsl.OnLogAttribute";
    public const string OnStepEndAttribute = "Dsl.OnStepEndAttribute";
    public const string OnEpochEndAttribute = "Dsl.OnEpochEndAttribute";
    public const string OnEvaluateAttribute = "Dsl.OnEvaluateAttribute";
    public const string OnSaveAttribute = "Dsl.OnSaveAttribute";
    public const string OnTrainEndAttribute = "Dsl.OnTrainEndAttribute";
    public const string OnTrainBeginAttribute = "Dsl.OnTrainBeginAttribute";
    public const string OnEpochBeginAttribute = "Dsl.OnEpochBeginAttribute";
    public const string OnStepBeginAttribute = "Dsl.OnStepBeginAttribute";
    public const string OnSubstepEndAttribute = "Dsl.OnSubstepEndAttribute";
    public const string OnPreOptimizerStepAttribute = "Dsl.OnPreOptimizerStepAttribute";
    public const string OnOptimizerStepAttribute = "Dsl.OnOptimizerStepAttribute";
    public const string OnPredictionStepAttribute = "Dsl.OnPredictionStepAttribute";

    // Runtime types (metadata names)
    public const string TrainingArguments = "Dsl.TrainingArguments";
    public const string IBatch = "Dsl.IBatch`2";
    public const string StepOutput = "Dsl.StepOutput";
    public const string TrainerControl = "Dsl.TrainerControl";
    public const string IHookState = "Dsl.IHookState";
    public const string LogEvent = "Dsl.LogEvent";
    public const string StepEndEvent = "Dsl.StepEndEvent";
    public const string EpochEndEvent = "Dsl.EpochEndEvent";
    public const string EvaluateEvent = "Dsl.EvaluateEvent";
    public const string SaveEvent = "Dsl.SaveEvent";
    public const string TrainEndEvent = "Dsl.TrainEndEvent";
    public const string TrainBeginEvent = "Dsl.TrainBeginEvent";
    public const string EpochBeginEvent = "Dsl.EpochBeginEvent";
    public const string StepBeginEvent = "Dsl.StepBeginEvent";
    public const string SubstepEndEvent = "Dsl.SubstepEndEvent";
    public const string PreOptimizerStepEvent = "Dsl.PreOptimizerStepEvent";
    public const string OptimizerStepEvent = "Dsl.OptimizerStepEvent";
    public const string PredictionStepEvent = "Dsl.PredictionStepEvent";
    public const string IntervalStrategy = "Dsl.IntervalStrategy";
    public const string SaveStrategy = "Dsl.SaveStrategy";
    public const string SchedulerType = "Dsl.SchedulerType";
    public const string DataLoader = "Dsl.Data.DataLoader`2";
    public const string GradientCheckpointingInterface = "Dsl.Memory.IGradientCheckpointing";
    // Dsl.Text's types whose attention implementation is checked (DSL052); absent where Dsl.Text is not referenced.
    public const string BertConfig = "Dsl.Text.Modeling.BertConfig";
    public const string PretrainedOptions = "Dsl.Text.Pretrained.PretrainedOptions";

    // TorchSharp types (metadata names)
    public const string Module = "TorchSharp.torch+nn+Module";
    public const string Tensor = "TorchSharp.torch+Tensor";
    public const string Optimizer = "TorchSharp.torch+optim+Optimizer";
    public const string LRScheduler = "TorchSharp.torch+optim+lr_scheduler+LRScheduler";
    public const string Autograd = "TorchSharp.torch+autograd";
    public const string TensorExtensionMethods = "TorchSharp.TensorExtensionMethods";
    public const string DeviceType = "TorchSharp.DeviceType";

    // BCL types (metadata names)
    public const string Console = "System.Console";
    public const string Debug = "System.Diagnostics.Debug";
    public const string Trace = "System.Diagnostics.Trace";

    /// <summary>The warning <c>[Obsolete]</c> raises on <c>Dsl.__Internals</c> outside generated code (Dsl's <c>Contract.DiagnosticId</c>).</summary>
    public const string InternalsDiagnosticId = "DSL900";

    // Emitted names
    public const string GlobalTrainingRun = "global::Dsl.__Internals.TrainingRun";
    public const string GlobalEvaluationRun = "global::Dsl.__Internals.EvaluationRun";
    public const string GlobalTrainerLog = "global::Dsl.__Internals.TrainerLog";
    public const string GlobalTrainerState = "global::Dsl.TrainerState";
    public const string GlobalTrainOutput = "global::Dsl.TrainOutput";
    public const string GlobalEvalResult = "global::Dsl.EvalResult";
    public const string GlobalPredictionOutput = "global::Dsl.PredictionOutput";
    public const string GlobalLogEntry = "global::Dsl.LogEntry";
    public const string GlobalSchedules = "global::Dsl.Schedules";
    public const string GlobalOptimizers = "global::Dsl.Optimizers";
    public const string GlobalTorch = "global::TorchSharp.torch";
    public const string GlobalReadOnlyList = "global::System.Collections.Generic.IReadOnlyList";
    public const string GlobalEnumerable = "global::System.Collections.Generic.IEnumerable";
    public const string GlobalReadOnlyDictionary = "global::System.Collections.Generic.IReadOnlyDictionary";
    public const string GlobalEvaluationSets = "global::Dsl.__Internals.EvaluationSets";
    public const string GlobalGeneratedCode = "global::System.CodeDom.Compiler.GeneratedCode";
}
