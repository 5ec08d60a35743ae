// Expect: DSL038 on AdamBeta2 = 1 and on a negative WeightDecay.
// Message: TrainingArguments.AdamBeta2 is 1; it must be in [0, 1)
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
}

static class Setup
{
    static TrainingArguments Make() => new TrainingArguments { {|DSL038:AdamBeta2 = 1|}, {|DSL038:WeightDecay = -0.01|} };
}
