// Expect: DSL039 on NumTrainEpochs = 0 when MaxSteps is not set; none when MaxSteps is.
// Message: so the run has no length
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
    static TrainingArguments NoLength() => new TrainingArguments { {|DSL039:NumTrainEpochs = 0|} };
    static TrainingArguments ByStepCount() => new TrainingArguments { NumTrainEpochs = 0, MaxSteps = 100 };
}
