// Expect: DSL006 saying the batch is 'in'.
// Message: its parameter 'batch' is 'in'; take the batch by value
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
    [TrainStep] Tensor {|DSL006:Step|}(in Batch batch) => model.forward(batch.X).mean();
}
