// Expect: nothing: a hook may take its event by in.
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
    [OnEpochEnd] void Ended(in EpochEndEvent e) { }
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}
