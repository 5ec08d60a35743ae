using Dsl.Generators.Model;

namespace Dsl.Generators.Emitting;

internal static partial class LoopEmitter
{
    private static void WriteTrain(CodeWriter w, TrainerModel model, Names n)
    {
        var step = model.TrainStep;
        string list = KnownNames.GlobalReadOnlyList + "<" + step.ExampleType + ">";
        string stream = KnownNames.GlobalEnumerable + "<" + step.ExampleType + ">";
        string named = KnownNames.GlobalReadOnlyDictionary + "<string, " + list + ">";
        string runType = $"{KnownNames.GlobalTrainingRun}<{step.BatchType}, {step.ExampleType}>";
        string m = model.Model.Access;
        string run = n["run"], optimizer = n["optimizer"], scheduler = n["scheduler"], epoch = n["epoch"];
        string batches = n["batches"], batch = n["batch"], scope = n["scope"], loss = n["loss"], lr = n["learningRate"];
        string output = n["output"], summary = n["summary"], window = n["window"], gradients = n["gradients"];

        WriteTrainEntry(w, model, list, named, runType, run, streaming: false);
        w.Line();
        WriteTrainEntry(w, model, stream, named, runType, run, streaming: true);
        w.Line();
        w.Line("/// <summary>The loop of both Train overloads: HF's <c>_inner_training_loop</c>.</summary>");
        w.Line(GeneratedCode);
        w.Open($"private {KnownNames.GlobalTrainOutput} __Train({runType} {run}, string? resumeFromCheckpoint)");
        w.Line($"this.__run = {run};");
        w.Open("try");
        w.Line("// 1. Set up, continued: the optimizer and schedule; a checkpoint is restored when resuming.");
        w.Line(model.Optimizer is null
            ? $"using var {optimizer} = {KnownNames.GlobalOptimizers}.FromArguments({m}, {model.Arguments.Access});   // its state is freed when Train returns"
            : $"var {optimizer} = this.{model.Optimizer.MethodName}();");
        w.Line(model.Scheduler is null
            ? $"var {scheduler} = {KnownNames.GlobalSchedules}.FromArguments({optimizer}, {model.Arguments.Access}, {run}.MaxSteps);"
            : $"var {scheduler} = this.{model.Scheduler.MethodName}({optimizer}, {run}.MaxSteps);");
        if (model.HasHookState) w.Line($"{run}.TrackHookState(this);   // IHookState: the hooks' state is saved in checkpoints and restored on resume");
        w.Line($"{run}.Prepare({optimizer}, {scheduler}, resumeFromCheckpoint);   // restores model, optimizer, schedule and RNG when resuming");
        w.Line($"this.__state = {run}.State;");
        w.Line($"{m}.train();");
        if (HasHooks(model, HookKind.TrainBegin))
        {
            w.Line("// HF's on_train_begin: after set-up and the resume, before the first epoch.");
            WriteHooks(w, model, HookKind.TrainBegin, $"new global::Dsl.TrainBeginEvent({run}.State)", run);
        }
        w.Line();
        w.Line("// 2. Epochs. A resumed run starts in its checkpoint's epoch and skips the batches it has seen.");
        w.Open($"for (var {epoch} = {run}.FirstEpoch; {epoch} < {run}.NumTrainEpochs; {epoch}++)");
        w.Line($"using var {batches} = {run}.Batches({epoch});   // collated on a background thread; each batch knows its accumulation window");
        w.Line($"{run}.Flow.OnEpochBegin();   // HF's on_epoch_begin: clears the last epoch's stop request");
        WriteHooks(w, model, HookKind.EpochBegin, $"new global::Dsl.EpochBeginEvent({epoch}, {run}.State)", run);
        w.Open($"while ({batches}.MoveNext())");
        w.Line($"var {window} = {batches}.Window;   // this batch's gradient-accumulation window: its size, whether it starts or ends an optimizer step");
        const string stepBegin = "   // HF's on_step_begin: a new optimizer step clears the last one's log, evaluate and save requests";
        if (HasHooks(model, HookKind.StepBegin))
        {
            w.Open($"if ({window}.StartsStep)");
            w.Line($"{run}.Flow.OnStepBegin();" + stepBegin);
            WriteHooks(w, model, HookKind.StepBegin, $"new global::Dsl.StepBeginEvent({run}.State)", run);
            w.Close();
        }
        else
        {
            w.Line($"if ({window}.StartsStep) {run}.Flow.OnStepBegin();" + stepBegin);
        }
        w.Line();
        w.Line("// 3. Forward and backward, in the batch's own dispose scope: no tensor outlives its step.");
        w.Line($"using (var {scope} = {KnownNames.GlobalTorch}.NewDisposeScope())");
        w.Open($"using (var {batch} = {batches}.Current)");
        w.Line($"var {loss} = this.{step.MethodName}({batch}){(step.ReturnsStepOutput ? ".Loss" : "")};");
        w.Line($"{run}.Gradients.Backward({loss}, {window});   // ({loss} / {window}.Size).backward(); the loss is summed for the log, read at log steps");
        w.Close();
        if (HasHooks(model, HookKind.SubstepEnd))
        {
            w.Open($"if (!{window}.EndsStep)   // gradient accumulation: one optimizer step per window");
            WriteHooks(w, model, HookKind.SubstepEnd, $"new global::Dsl.SubstepEndEvent({run}.State)", run);
            w.Line("continue;");
            w.Close();
        }
        else
        {
            w.Line($"if (!{window}.EndsStep) continue;   // gradient accumulation: one optimizer step per window");
        }
        w.Line();
        bool aroundOptimizer = HasHooks(model, HookKind.PreOptimizerStep) || HasHooks(model, HookKind.OptimizerStep);
        w.Line("// 4. Optimizer step: average and clip the gradients, step, schedule, clear the gradients.");
        w.Open($"using (var {scope} = {KnownNames.GlobalTorch}.NewDisposeScope())");
        w.Line($"var {lr} = {KnownNames.GlobalSchedules}.LastLearningRate({scheduler});   // the rate this step uses, as HF logs it");
        w.Line($"var {gradients} = {run}.Gradients.Clip({window});   // averaged over ranks, unscaled (Fp16), clipped to MaxGradNorm; the norm is read at log steps");
        if (aroundOptimizer)
        {
            // HF: clip → on_pre_optimizer_step → optimizer.step() → on_optimizer_step → scheduler.step(); both
            // events fire even when an Fp16 overflow skips the step.
            WriteHooks(w, model, HookKind.PreOptimizerStep, $"new global::Dsl.PreOptimizerStepEvent({optimizer}, {run}.State)", run);
            w.Line($"if ({gradients}.Apply) {optimizer}.step();   // Apply is false when Fp16 gradients overflowed or NonFiniteLoss skips the step");
            WriteHooks(w, model, HookKind.OptimizerStep, $"new global::Dsl.OptimizerStepEvent({optimizer}, {run}.State)", run);
            w.Line($"if ({gradients}.Apply) {scheduler}.step();   // HF skips both steps then");
        }
        else
        {
            w.Open($"if ({gradients}.Apply)   // false when Fp16 gradients overflowed or NonFiniteLoss skips the step: HF skips both steps then");
            w.Line($"{optimizer}.step();");
            w.Line($"{scheduler}.step();");
            w.Close();
        }
        w.Line($"{m}.zero_grad();");
        w.Line($"{run}.EndStep({window}, {gradients}, {lr});   // GlobalStep++ and the epoch; HF's flow rules: whether to log, evaluate, save or stop");
        w.Close();
        w.Line();
        w.Line(HasHooks(model, HookKind.StepEnd)
            ? "// 5. [OnStepEnd] hooks, then log, evaluate and save as the arguments ask."
            : "// 5. Log, evaluate and save as the arguments ask.");
        WriteHooks(w, model, HookKind.StepEnd, $"new global::Dsl.StepEndEvent({run}.State)", run);
        w.Line($"this.__LogEvaluateSave({run});");
        w.Line($"if ({run}.Flow.StopsEpoch) break;");
        w.Close();
        w.Line();
        w.Line("// 6. End of the epoch.");
        w.Line($"{run}.EndEpoch();   // HF's on_epoch_end: log, evaluate or save by epoch");
        WriteHooks(w, model, HookKind.EpochEnd, $"new global::Dsl.EpochEndEvent({epoch}, {run}.State)", run);
        w.Line($"this.__LogEvaluateSave({run});");
        w.Line($"if ({run}.Flow.StopsTraining) break;");
        w.Close();
        w.Line();
        w.Line("// 7. Finish: load the best model when asked, log the summary.");
        w.Line($"var ({output}, {summary}) = {run}.Finish();");
        w.Line($"this.__Log({summary});");
        WriteHooks(w, model, HookKind.TrainEnd, $"new global::Dsl.TrainEndEvent({output}, {run}.State)", run);
        w.Line($"return {output};");
        w.Close();
        w.Open("finally");
        w.Line("this.__run = null;");
        w.Close();
        w.Close();
    }

    /// <summary>A public Train overload: starts the run on a list or a stream and hands it to <c>__Train</c>.</summary>
    private static void WriteTrainEntry(CodeWriter w, TrainerModel model, string dataType, string named, string runType, string run, bool streaming)
    {
        w.Line("/// <summary>");
        if (streaming)
        {
            w.Line("/// Trains the model on the stream <paramref name=\"trainDataset\"/> (HF's IterableDataset): MaxSteps must be set;");
            w.Line("/// examples are taken in stream order, each pass over the stream is one epoch, and the stream is");
            w.Line("/// enumerated again when it runs out. A resumed run skips what its pass had already consumed.");
        }
        else
        {
            w.Line("/// Trains the model on <paramref name=\"trainDataset\"/> with Hugging Face Trainer's semantics: optimizer");
            w.Line("/// steps, gradient accumulation, clipping, schedule, logging, evaluation and checkpoints as the");
            w.Line("/// TrainingArguments say.");
        }
        w.Line("/// </summary>");
        w.Line(streaming
            ? "/// <param name=\"trainDataset\">The training examples, read on a background thread; enumerated once per epoch.</param>"
            : "/// <param name=\"trainDataset\">The training examples, shuffled every epoch with the arguments' seed.</param>");
        w.Line("/// <param name=\"evalDataset\">The examples to evaluate on when EvalStrategy is not No.</param>");
        w.Line("/// <param name=\"resumeFromCheckpoint\">A checkpoint folder to continue from, or <c>last</c> for the newest in OutputDir.</param>");
        w.Line("/// <param name=\"evalDatasets\">Instead of <paramref name=\"evalDataset\"/>, several named datasets, logged as <c>eval_{name}_*</c>.</param>");
        w.Line(GeneratedCode);
        w.Line($"{model.EntryAccessibility} {KnownNames.GlobalTrainOutput} Train(");
        w.Line($"    {dataType} trainDataset,");
        w.Line($"    {KnownNames.GlobalReadOnlyList}<{model.TrainStep.ExampleType}>? evalDataset = null,");
        w.Line("    string? resumeFromCheckpoint = null,");
        w.Line($"    {named}? evalDatasets = null)");
        w.OpenBlock();
        w.Line(streaming
            ? "// 1. Set up: check the arguments (MaxSteps is required), seed torch, move the model to the device, open the stream."
            : "// 1. Set up: check the arguments, seed torch, move the model to the device, batch the data, count the steps.");
        w.Line($"using var {run} = {runType}.Start({model.Arguments.Access}, {model.Model.Access}, trainDataset, evalDataset, evalDatasets);");
        w.Line($"return this.__Train({run}, resumeFromCheckpoint);");
        w.Close();
    }

    private static void WriteLogEvaluateSave(CodeWriter w, TrainerModel model, Names n)
    {
        var step = model.TrainStep;
        string runType = $"{KnownNames.GlobalTrainingRun}<{step.BatchType}, {step.ExampleType}>";
        w.Line("/// <summary>");
        w.Line("/// HF's <c>_maybe_log_save_evaluate</c>: log, then evaluate, then save, each only when asked. Each request is");
        w.Line("/// taken once, before its hooks run, as HF's <c>on_log</c>, <c>on_evaluate</c> and <c>on_save</c> clear their flag.");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        w.Open($"private void __LogEvaluateSave({runType} run)");
        w.Line("if (run.Flow.TakeLogRequest() && run.LogTrainingLoss() is { } logs) this.__Log(logs);");
        w.Line("if (run.Flow.TakeEvaluateRequest())");
        w.Line("    run.ObserveEvaluation(run.Evaluation.Named is { } named   // early stopping and the best metric; SaveStrategy.Best asks for a save");
        w.Line("        ? this.Evaluate(named)   // HF: each named dataset, its keys eval_{name}_*");
        w.Line("        : this.Evaluate(run.EvaluationSet()));");
        w.Open("if (run.Flow.TakeSaveRequest())");
        if (HasHooks(model, HookKind.Save))
        {
            w.Line("var checkpoint = run.SaveCheckpoint();");
            WriteHooks(w, model, HookKind.Save, "new global::Dsl.SaveEvent(checkpoint, run.State)", "run");
        }
        else
        {
            w.Line("run.SaveCheckpoint();");
        }
        w.Close();
        w.Close();
    }
}
