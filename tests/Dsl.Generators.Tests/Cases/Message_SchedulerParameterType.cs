// Expect: DSL009 naming the parameter whose type is wrong.
// Message: its parameter 'steps' is 'long'; take 'int trainingSteps'
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
    [Scheduler] LRScheduler {|DSL009:Schedule|}(Optimizer optimizer, long steps) => Schedules.Constant(optimizer);
}
