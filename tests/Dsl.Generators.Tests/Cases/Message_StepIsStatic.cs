// Expect: DSL006 saying the step is static.
// Message: it is static; remove 'static'
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
    [TrainStep] static Tensor {|DSL006:Step|}(Batch batch) => batch.X.mean();
}
