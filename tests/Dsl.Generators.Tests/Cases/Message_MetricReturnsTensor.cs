// Expect: DSL010 naming the return type.
// Message: it returns 'Tensor'; return a double
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
    [TrainStep] StepOutput Step(Batch batch) => new(model.forward(batch.X).mean(), batch.X, batch.Y);
    [Metric] Tensor {|DSL010:Score|}(Tensor predictions, Tensor labels) => predictions;
}
