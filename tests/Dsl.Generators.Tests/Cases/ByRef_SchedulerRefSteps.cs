// Expect: DSL009 on the by-ref parameter 'steps'; nothing generated, nothing in generated code.
// Message: parameter 'steps' is 'ref'
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
    [Scheduler] LRScheduler Make(Optimizer o, ref int {|DSL009:steps|}) => StepLR(o, steps);
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}
