// Expect: DSL038 on each batch size of 0.
// Message: TrainingArguments.PerDeviceTrainBatchSize is 0; it must be at least 1
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
    static TrainingArguments Make() => new TrainingArguments
    {
        {|DSL038:PerDeviceTrainBatchSize = 0|},
        {|DSL038:PerDeviceEvalBatchSize = 0|},
    };
}
