// Expect: DSL011 on the out event parameter 'e'.
// Message: parameter 'e' is 'out'
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
    [OnLog] void Logged(out LogEvent {|DSL011:e|}) { e = default!; }
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}
