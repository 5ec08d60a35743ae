// Expect: DSL045 on backward() in the [EvalStep].
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

    [EvalStep]
    Tensor Check(Batch batch)
    {
        var loss = model.forward(batch.X).mean();
        {|DSL045:loss.backward()|};
        return loss;
    }
}
