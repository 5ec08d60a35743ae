// Expect: DSL016 on a tuple batch, suggesting a batch type with the tuple's parts.
// Message: a tuple cannot implement it: declare a batch type holding its parts, e.g. 'sealed class MyBatch : IBatch<MyBatch, MyExample> { public Tensor X { get; init; }; public Tensor Y { get; init; }
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
    [TrainStep] Tensor Step((Tensor x, Tensor y) {|DSL016:batch|}) => model.forward(batch.x).mean();
}
