// Expect: nothing: a non-null subclass is fine.
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
    [Optimizer] TorchSharp.Modules.SGD Make() => SGD(model.parameters(), args.LearningRate);
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}
