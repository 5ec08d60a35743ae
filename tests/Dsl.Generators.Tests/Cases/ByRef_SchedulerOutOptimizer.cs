// Expect: DSL009 on the out parameter 'o'.
// Message: parameter 'o' is 'out'
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
    [Scheduler] LRScheduler Make(out Optimizer {|DSL009:o|}, int steps) { o = null!; return null!; }
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}
