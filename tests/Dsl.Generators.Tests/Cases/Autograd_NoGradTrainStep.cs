// Expect: DSL042 on the no_grad whose scope the loss is returned from; a no_grad block for the teacher is fine.
// Message: returns its loss from under 'torch.no_grad()'
using System;
using System.Collections.Generic;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

[Trainer]
public partial class T([Model] Net student, Net teacher, TrainingArguments args)
{
    [TrainStep]
    Tensor Step(Batch batch)
    {
        Tensor target;
        using (torch.no_grad()) target = teacher.forward(batch.X);
        using var off = {|DSL042:torch.no_grad()|};
        return (student.forward(batch.X) - target).pow(2).mean();
    }
}
