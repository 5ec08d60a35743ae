// Expect: nothing: the example and batch are private types nested in the trainer; the loop's entry points are generated private.
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
    private record struct MyExample(float[] X, long Y);

    private sealed class MyBatch : IBatch<MyBatch, MyExample>
    {
        public Tensor X { get; init; } = null!;
        public Tensor Y { get; init; } = null!;
        public static MyBatch Collate(ReadOnlySpan<MyExample> examples, Device device) => new();
        public void Dispose() { }
    }

    [TrainStep] Tensor Step(MyBatch batch) => model.forward(batch.X).mean();

    public void Run(System.Collections.Generic.List<float[]> xs) => Train(xs.ConvertAll(x => new MyExample(x, 0)));
}
