// Expect: DSL008 naming the parameter it should not take.
// Message: it takes 1 parameter (double lr); take no parameters
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
    [Optimizer] Optimizer {|DSL008:Make|}(double lr) => SGD(model.parameters(), lr);
}
