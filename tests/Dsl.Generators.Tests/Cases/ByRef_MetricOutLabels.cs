// Expect: DSL010 on the out parameter 'l'.
// Message: parameter 'l' is 'out'
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
    [Metric] double Accuracy(Tensor p, out Tensor {|DSL010:l|}) { l = p; return 0; }
    [TrainStep] StepOutput Step(Batch batch) => new(model.forward(batch.X).mean(), batch.X, batch.Y);
}
