// Expect: DSL003 only (no DSL013): an unconstrained type parameter may be the model; the generic class is the mistake.
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class {|DSL003:T|}<TModel>(TModel model, Net net, TrainingArguments args)
{
    [TrainStep] Tensor Step(Batch batch) => net.forward(batch.X).mean();
}
