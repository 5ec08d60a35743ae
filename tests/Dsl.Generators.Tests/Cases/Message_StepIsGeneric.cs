// Expect: DSL006 saying the step is generic.
// Message: it is generic (<TBatch>)
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
    [TrainStep] Tensor {|DSL006:Step|}<TBatch>(TBatch batch) => torch.zeros(1);
}
