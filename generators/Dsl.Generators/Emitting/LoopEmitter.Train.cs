using Dsl.Generators.Model;

namespace Dsl.Generators.Emitting;

internal static partial class LoopEmitter
{
    private static void WriteTrain(CodeWriter w, TrainerModel model, Names n)
    {
        var step = model.TrainStep;
        string list = KnownNames.GlobalReadOnlyList + "<" + step.ExampleType + ">";
        string runType = $"{KnownNames.GlobalTrainingRun}<{step.BatchType}, {step.ExampleType}>";
        string m = model.Model.Access;
        string run = n["run"], optimizer = n["optimizer"], scheduler = n["scheduler"], epoch = n["epoch"];
        string batches = n["batches"], batch = n["batch"], scope = n["scope"], loss = n["loss"], lr = n["learningRate"];
        string output = n["output"], summary = n["summary"];

        w.Line("/// <summary>");
        w.Line("/// Trains the model on <paramref name=\"trainDataset\"/> with Hugging Face Trainer's semantics: optimizer");
        w.Line("/// steps, gradient accumulation, clipping, schedule, logging, evaluation and checkpoints as the");
        w.Line("/// TrainingArguments say.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"trainDataset\">The training examples, shuffled every epoch with the arguments' seed.</param>");
        w.Line("/// <param name=\"evalDataset\">The examples to evaluate on when EvalStrategy is not No.</param>");
        w.Line("/// <param name=\"resumeFromCheckpoint\">A checkpoint folder to continue from, or <c>last</c> for the newest in OutputDir.</param>");
        w.Line(GeneratedCode);
        w.Line($"{model.EntryAccessibility} {KnownNames.GlobalTrainOutput} Train(");
        w.Line($"    {list} trainDataset,");
        w.Line($"    {list}? evalDataset = null,");
        w.Line("    string? resumeFromCheckpoint = null)");
        w.OpenBlock();
        w.Line("// 1. Set up: check the arguments, seed torch, move the model to the device, batch the data, count the steps.");
        w.Line($"using var {run} = {runType}.Start({model.Arguments.Access}, {m}, trainDataset, evalDataset is not null);");
        w.Line($"this.__run = {run};");
        w.Open("try");
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
        w.Line($"using var {batches} = {run}.Batches({epoch});   // the next batches are collated on a background thread");
        WriteHooks(w, model, HookKind.EpochBegin, $"new global::Dsl.EpochBeginEvent({epoch}, {run}.State)", run);
        w.Open($"while ({batches}.MoveNext())");
        if (HasHooks(model, HookKind.StepBegin))
        {
            w.Open($"if ({run}.StartsStep)   // HF's on_step_begin: the first micro-batch of an accumulation window");
            WriteHooks(w, model, HookKind.StepBegin, $"new global::Dsl.StepBeginEvent({run}.State)", run);
            w.Close();
        }
        w.Line("// 3. Forward and backward, in the batch's own dispose scope: no tensor outlives its step.");
        w.Line($"using (var {scope} = {KnownNames.GlobalTorch}.NewDisposeScope())");
        w.Open($"using (var {batch} = {batches}.Current)");
        w.Line($"var {loss} = this.{step.MethodName}({batch}){(step.ReturnsStepOutput ? ".Loss" : "")};");
        w.Line($"{run}.Backward({loss});   // (loss / window).backward(); the loss is summed on the device, read at log steps");
        w.Close();
        if (HasHooks(model, HookKind.SubstepEnd))
        {
            w.Open($"if (!{run}.IsOptimizerStep)   // gradient accumulation: one optimizer step per window");
            WriteHooks(w, model, HookKind.SubstepEnd, $"new global::Dsl.SubstepEndEvent({run}.State)", run);
            w.Line("continue;");
            w.Close();
        }
        else
        {
            w.Line($"if (!{run}.IsOptimizerStep) continue;   // gradient accumulation: one optimizer step per window");
        }
        w.Line();
        bool aroundOptimizer = HasHooks(model, HookKind.PreOptimizerStep) || HasHooks(model, HookKind.OptimizerStep);
        w.Line("// 4. Optimizer step: clip, step, schedule, clear the gradients.");
        w.Open($"using (var {scope} = {KnownNames.GlobalTorch}.NewDisposeScope())");
        w.Line($"var {lr} = {KnownNames.GlobalSchedules}.LastLearningRate({scheduler});   // the rate this step uses, as HF logs it");
        if (aroundOptimizer)
        {
            // HF: clip → on_pre_optimizer_step → optimizer.step() → on_optimizer_step → scheduler.step(); both
            // events fire even when an Fp16 overflow skips the step.
            string apply = n["applyStep"];
            w.Line($"var {apply} = {run}.ClipGradients();   // to MaxGradNorm (the norm stays a tensor until a log step); false only when Fp16 gradients overflowed");
            WriteHooks(w, model, HookKind.PreOptimizerStep, $"new global::Dsl.PreOptimizerStepEvent({optimizer}, {run}.State)", run);
            w.Line($"if ({apply}) {optimizer}.step();");
            WriteHooks(w, model, HookKind.OptimizerStep, $"new global::Dsl.OptimizerStepEvent({optimizer}, {run}.State)", run);
            w.Line($"if ({apply}) {scheduler}.step();   // HF skips both steps on an Fp16 overflow");
        }
        else
        {
            w.Line($"if ({run}.ClipGradients())   // to MaxGradNorm (the norm stays a tensor until a log step); false only when Fp16 gradients overflowed");
            w.OpenBlock();
            w.Line($"{optimizer}.step();");
            w.Line($"{scheduler}.step();   // HF skips both steps on an Fp16 overflow");
            w.Close();
        }
        w.Line($"{m}.zero_grad();");
        w.Line($"{run}.EndStep({lr});   // GlobalStep++, epoch; decides whether to log, evaluate, save or stop");
        w.Close();
        w.Line();
        w.Line(HasHooks(model, HookKind.StepEnd)
            ? "// 5. [OnStepEnd] hooks, then log, evaluate and save as the arguments ask."
            : "// 5. Log, evaluate and save as the arguments ask.");
        WriteHooks(w, model, HookKind.StepEnd, $"new global::Dsl.StepEndEvent({run}.State)", run);
        w.Line($"this.__LogEvaluateSave({run}, evalDataset);");
        w.Line($"if ({run}.ShouldStopEpoch) break;");
        w.Close();
        w.Line();
        w.Line("// 6. End of the epoch.");
        w.Line($"{run}.EndEpoch();");
        WriteHooks(w, model, HookKind.EpochEnd, $"new global::Dsl.EpochEndEvent({epoch}, {run}.State)", run);
        w.Line($"this.__LogEvaluateSave({run}, evalDataset);");
        w.Line($"if ({run}.ShouldStopTraining) break;");
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

    private static void WriteLogEvaluateSave(CodeWriter w, TrainerModel model, Names n)
    {
        var step = model.TrainStep;
        string list = KnownNames.GlobalReadOnlyList + "<" + step.ExampleType + ">";
        w.Line("/// <summary>HF's <c>_maybe_log_save_evaluate</c>: log, then evaluate, then save, each only when asked.</summary>");
        w.Line(GeneratedCode);
        w.Open($"private void __LogEvaluateSave({KnownNames.GlobalTrainingRun} run, {list}? evalDataset)");
        w.Line("if (run.ShouldLog && run.LogTrainingLoss() is { } logs) this.__Log(logs);");
        w.Line("if (run.ShouldEvaluate) run.ObserveEvaluation(this.Evaluate(run.EvaluationSet(evalDataset)));");
        w.Open("if (run.ShouldSave)");
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
