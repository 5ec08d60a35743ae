// Expect: DSL006 naming the return type.
// Message: it returns 'double'; return the loss as Tensor, or StepOutput
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
    [TrainStep] double {|DSL006:Step|}(Batch batch) => 0;
}
