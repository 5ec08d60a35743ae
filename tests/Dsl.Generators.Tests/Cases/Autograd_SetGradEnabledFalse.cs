// Expect: DSL042 on set_grad_enabled(false) around the returned loss.
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
    [TrainStep]
    Tensor Step(Batch batch)
    {
        using ({|DSL042:torch.set_grad_enabled(false)|})
        {
            return model.forward(batch.X).mean();
        }
    }
}
