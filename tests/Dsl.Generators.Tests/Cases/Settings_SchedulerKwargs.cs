// Expect: DSL047 on an unknown scheduler argument, DSL038 on a non-finite one.
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
    static TrainingArguments Make() => new TrainingArguments
    {
        LrSchedulerKwargs = new Dictionary<string, double> { {|DSL047:["cycles"] = 0.5|}, {|DSL038:["power"] = double.NaN|} },
    };
}
