using System.Linq;
using Dsl.Generators.Model;

namespace Dsl.Generators.Emitting;

internal static partial class LoopEmitter
{
    private static void WriteEvaluate(CodeWriter w, TrainerModel model, Names n)
    {
        string list = KnownNames.GlobalReadOnlyList + "<" + model.TrainStep.ExampleType + ">";
        string stream = KnownNames.GlobalEnumerable + "<" + model.TrainStep.ExampleType + ">";
        bool metrics = model.Metrics.Count > 0;
        string output = n["output"], metricsLocal = n["metrics"];
        w.Line("/// <summary>");
        w.Line("/// Evaluates the model on <paramref name=\"evalDataset\"/> and returns Hugging Face's keys:");
        w.Line("/// <c>eval_loss</c> (weighted by batch size)" + (metrics ? ", the metrics" : "") + ", <c>eval_runtime</c>,");
        w.Line("/// <c>eval_samples_per_second</c>, <c>eval_steps_per_second</c>, and <c>epoch</c> once training has run.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"evalDataset\">The examples, in order.</param>");
        w.Line("/// <param name=\"metricKeyPrefix\">The prefix of every key.</param>");
        w.Line(GeneratedCode);
        w.Line($"{model.EntryAccessibility} {KnownNames.GlobalEvalResult} Evaluate({list} evalDataset, string metricKeyPrefix = \"eval\") =>");
        w.Line($"    this.Evaluate(({stream})evalDataset, metricKeyPrefix);   // one body for both: the run sees the list's length");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Evaluates the model on the stream <paramref name=\"evalDataset\"/> (HF's IterableDataset), read once, in order,");
        w.Line("/// until it ends; the speeds count the examples it yielded. Keys as for a list.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"evalDataset\">The examples, read once, in order.</param>");
        w.Line("/// <param name=\"metricKeyPrefix\">The prefix of every key.</param>");
        w.Line(GeneratedCode);
        w.Open($"{model.EntryAccessibility} {KnownNames.GlobalEvalResult} Evaluate({stream} evalDataset, string metricKeyPrefix = \"eval\")");
        string keep = metrics ? $"!{model.Arguments.Access}.PredictionLossOnly" : "false";
        w.Line($"using var {output} = this.__EvaluationLoop(evalDataset, metricKeyPrefix, keepPredictions: {keep}, isPredict: false);");
        w.Line($"var {metricsLocal} = {output}.Metrics;");
        w.Line($"this.__Log(new {KnownNames.GlobalLogEntry}(this.State.GlobalStep, {metricsLocal}));");
        WriteHooks(w, model, HookKind.Evaluate, $"new global::Dsl.EvaluateEvent({metricsLocal}, this.State)", "this.__run");
        w.Line($"return {metricsLocal};");
        w.Close();
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Evaluates each of <paramref name=\"evalDatasets\"/> as HF's <c>evaluate</c> does with a dict: keys");
        w.Line("/// <c>{metricKeyPrefix}_{name}_loss</c>, ..., each dataset logged on its own; returns all the keys.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"evalDatasets\">The datasets by name.</param>");
        w.Line("/// <param name=\"metricKeyPrefix\">The prefix before each name.</param>");
        w.Line(GeneratedCode);
        w.Line($"{model.EntryAccessibility} {KnownNames.GlobalEvalResult} Evaluate({KnownNames.GlobalReadOnlyDictionary}<string, {list}> evalDatasets, string metricKeyPrefix = \"eval\") =>");
        w.Line($"    {KnownNames.GlobalEvaluationSets}<{model.TrainStep.ExampleType}>.EvaluateEach(evalDatasets, metricKeyPrefix, this.Evaluate);");
    }

    private static void WritePredict(CodeWriter w, TrainerModel model)
    {
        bool logits = model.EvaluationStepReturnsOutput;
        foreach (var dataType in new[] { KnownNames.GlobalReadOnlyList, KnownNames.GlobalEnumerable })
        {
            bool streaming = dataType == KnownNames.GlobalEnumerable;
            if (streaming) w.Line();
            w.Line("/// <summary>");
            w.Line("/// Runs the model on " + (streaming ? "the stream " : "") + "<paramref name=\"testDataset\"/> and returns " + (logits
                ? "every example's logits and labels (on the CPU; dispose the result)"
                : "the loss (the step returns no logits)") + " with <c>test_*</c> metrics.");
            if (streaming) w.Line("/// The stream (HF's IterableDataset) is read once, in order, until it ends.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"testDataset\">The examples, in order.</param>");
            w.Line("/// <param name=\"metricKeyPrefix\">The prefix of every key.</param>");
            w.Line(GeneratedCode);
            w.Line($"{model.EntryAccessibility} {KnownNames.GlobalPredictionOutput} Predict({dataType}<{model.TrainStep.ExampleType}> testDataset, string metricKeyPrefix = \"test\") =>");
            w.Line($"    this.__EvaluationLoop(testDataset, metricKeyPrefix, keepPredictions: {(logits ? "true" : "false")}, isPredict: true);");
        }
    }

    private static void WriteEvaluationLoop(CodeWriter w, TrainerModel model, Names n)
    {
        var step = model.EvalStep ?? model.TrainStep;
        string examples = KnownNames.GlobalEnumerable + "<" + step.ExampleType + ">";
        string runType = $"{KnownNames.GlobalEvaluationRun}<{step.BatchType}, {step.ExampleType}>";
        string evaluation = n["evaluation"], batches = n["batches"], batch = n["batch"], scope = n["scope"];
        string stepName = model.TypeName + "." + step.MethodName;

        w.Line("/// <summary>HF's <c>evaluation_loop</c>: every batch without gradients, then the metrics and HF's keys (a list or a stream).</summary>");
        w.Line(GeneratedCode);
        w.Open($"private {KnownNames.GlobalPredictionOutput} __EvaluationLoop({examples} dataset, string prefix, bool keepPredictions, bool isPredict)");
        w.Line($"using var {evaluation} = {runType}.Start({model.Arguments.Access}, {model.Model.Access}, dataset, prefix, keepPredictions, isPredict, \"{stepName}\", this.State);");
        w.Line();
        w.Line(model.EvalStep is null
            ? $"// 1. Forward every batch with the train step {step.MethodName}, in eval mode and without gradients. The loss"
            : $"// 1. Forward every batch with {step.MethodName}, in eval mode and without gradients. The loss");
        w.Line("//    is summed on the device, weighted by batch size; logits and labels are kept for the metrics");
        w.Line("//    (padded with -100 where batches differ in length, moved to the CPU every EvalAccumulationSteps).");
        w.Line($"using (var noGrad = {KnownNames.GlobalTorch}.no_grad())");
        w.Open($"using (var {batches} = {evaluation}.Batches())");
        w.Open($"while ({batches}.MoveNext())");
        w.Line($"using (var {scope} = {KnownNames.GlobalTorch}.NewDisposeScope())");
        w.Open($"using (var {batch} = {batches}.Current)");
        w.Line($"{evaluation}.Add(this.{step.MethodName}({batch}), {batches}.CurrentSize);");
        // HF: on_prediction_step after the batch is collected, before its batch_eval_metrics.
        WriteHooks(w, model, HookKind.PredictionStep, $"new global::Dsl.PredictionStepEvent({evaluation}.BatchesDone - 1, this.State)", "this.__run");
        if (model.Metrics.Count > 0)
        {
            w.Open($"if ({evaluation}.MetricsPerBatch && {evaluation}.BatchHasLabels(required: !isPredict))   // BatchEvalMetrics: each metric per batch, averaged at the end");
            foreach (var metric in model.Metrics)
                w.Line($"{evaluation}.AddBatchMetric(\"{metric.Key}\", this.{metric.MethodName}({evaluation}.BatchPredictions, {evaluation}.BatchLabels));");
            w.Close();
        }
        w.Close();
        w.Close();
        w.Close();

        if (model.Metrics.Count > 0)
        {
            w.Line();
            w.Line("// 2. Metrics over the whole set (unless computed per batch), each in its own dispose scope.");
            w.Open($"if (keepPredictions && !{evaluation}.MetricsPerBatch && {evaluation}.HasLabels(required: !isPredict))");
            foreach (var metric in model.Metrics)
            {
                w.Line($"using (var {scope} = {KnownNames.GlobalTorch}.NewDisposeScope())");
                w.Line($"    {evaluation}.AddMetric(\"{metric.Key}\", this.{metric.MethodName}({evaluation}.Predictions, {evaluation}.Labels));");
            }
            w.Close();
        }
        w.Line();
        w.Line($"// {(model.Metrics.Count > 0 ? "3" : "2")}. HF's keys: {{prefix}}_loss, the metrics, runtime and speed, and epoch (Evaluate only).");
        w.Line($"return {evaluation}.Finish(withEpoch: !isPredict);");
        w.Close();
    }
}
