// Expect: DSL029 on MetricForBestModel = "Accuracy", suggesting the key "accuracy".
// Message: 'Accuracy' is the method of the metric reported as 'eval_accuracy': use "accuracy"
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class T(Net model, TrainingArguments args)
{
    [TrainStep] StepOutput Step(Batch batch) => new(model.forward(batch.X).mean(), batch.X, batch.Y);
    [Metric] double Accuracy(Tensor predictions, Tensor labels) => 0;
}

static class Setup
{
    static T Make(Net model) => new(model, new TrainingArguments { {|DSL029:MetricForBestModel = "Accuracy"|} });
}
