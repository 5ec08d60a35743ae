// Expect: nothing: an in parameter takes the loop's value without a modifier, so it is valid.
using System;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class T(Net model, TrainingArguments args)
{
    [Scheduler] LRScheduler Make(in Optimizer o, in int steps) => StepLR(o, steps);
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}
