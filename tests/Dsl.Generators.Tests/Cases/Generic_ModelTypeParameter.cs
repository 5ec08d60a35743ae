// Expect: DSL003 only (no DSL013): the model is a type parameter constrained to nn.Module.
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class {|DSL003:T|}<TModel>(TModel model, TrainingArguments args) where TModel : nn.Module<Tensor, Tensor>
{
    [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
}

static class Use
{
    static void Run(T<Net> trainer, List<Example> train) => trainer.Train(train);
}
