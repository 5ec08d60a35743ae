// Expect: DSL006 on the method: a train step that may return no loss.
// Message: returns 'Tensor?', which may be null
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
    [TrainStep] Tensor? {|DSL006:Step|}(Batch batch) => model.forward(batch.X).mean();
}
