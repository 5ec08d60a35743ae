// Expect: DSL006 naming the parameters it takes.
// Message: it takes 2 parameters (Batch batch, int extra); take (TBatch batch)
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
    [TrainStep] Tensor {|DSL006:Step|}(Batch batch, int extra) => model.forward(batch.X).mean();
}
