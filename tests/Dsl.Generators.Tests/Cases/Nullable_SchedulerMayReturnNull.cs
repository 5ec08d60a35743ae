// Expect: DSL009 on the method: LRScheduler? is refused like Optimizer?.
// Message: returns 'LRScheduler?', which may be null
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
    [Scheduler] LRScheduler? {|DSL009:Make|}(Optimizer o, int steps) => null;
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}
