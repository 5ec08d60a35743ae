// Expect: DSL047 on a Device libtorch cannot parse; "cuda:1" is fine.
// Message: use cpu, cuda or cuda:N
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
    static TrainingArguments Bad() => new TrainingArguments { {|DSL047:Device = "gpu"|} };
    static TrainingArguments Good() => new TrainingArguments { Device = "cuda:1" };
}
