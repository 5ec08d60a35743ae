// Expect: nothing: the example and batch types are internal, so Train/Evaluate/Predict are generated internal.
using System;
using Dsl;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Demo;

record struct MyExample(float[] X, long Y);

sealed class MyBatch : IBatch<MyBatch, MyExample>
{
    public Tensor X { get; init; } = null!;
    public Tensor Y { get; init; } = null!;
    public static MyBatch Collate(ReadOnlySpan<MyExample> examples, Device device) => new();
    public void Dispose() { }
}

[Trainer]
public partial class T(Net model, TrainingArguments args)
{
    [TrainStep] StepOutput Step(MyBatch batch) => new(model.forward(batch.X).mean(), batch.X, batch.Y);
    [Metric] double Accuracy(Tensor p, Tensor l) => 0;
}

static class Use
{
    static void Run(T trainer, System.Collections.Generic.List<MyExample> data) { trainer.Train(data); trainer.Evaluate(data); trainer.Predict(data); }
}
