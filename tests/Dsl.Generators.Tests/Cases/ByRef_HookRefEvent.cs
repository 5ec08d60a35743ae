// Expect: DSL011 on the by-ref event parameter 'e'.
// Message: parameter 'e' is 'ref'
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
    [OnStepEnd] void After(ref StepEndEvent {|DSL011:e|}) { }
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}
