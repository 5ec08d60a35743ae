// Expect: DSL008 on the method: the loop cannot run without an optimizer, so Optimizer? is refused on the user's line.
// Message: returns 'Optimizer?', which may be null
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
    [Optimizer] Optimizer? {|DSL008:Make|}() => args.LearningRate > 0 ? SGD(model.parameters(), args.LearningRate) : null;
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}
