// Expect: DSL047 on the unknown report target, with the nearest known one suggested.
// Message: did you mean 'tensorboard'?
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
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}

static class Setup
{
    static TrainingArguments Make() => new TrainingArguments { ReportTo = ["console", {|DSL047:"tensorbord"|}] };
}
