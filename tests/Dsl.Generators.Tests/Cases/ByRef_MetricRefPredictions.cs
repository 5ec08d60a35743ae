// Expect: DSL010 on the by-ref parameter 'p'.
// Message: parameter 'p' is 'ref'
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
    [Metric] double Accuracy(ref Tensor {|DSL010:p|}, Tensor l) => 0;
    [TrainStep] StepOutput Step(Batch batch) => new(model.forward(batch.X).mean(), batch.X, batch.Y);
}
