// Expect: DSL011 with 'an EpochEndEvent' and the parameter's type.
// Message: taking nothing or an EpochEndEvent: its parameter 'e' is 'LogEvent'
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
    [OnEpochEnd] void {|DSL011:Ended|}(LogEvent e) { }
}
