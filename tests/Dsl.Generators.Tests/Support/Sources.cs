namespace Dsl.Generators.Tests.Support;

/// <summary>The types every test trainer uses: a model, an example and a batch.</summary>
internal static class Sources
{
    public const string Common = """
        using System;
        using Dsl;
        using TorchSharp;
        using static TorchSharp.torch;

        namespace Demo
        {
            public sealed class Net : nn.Module<Tensor, Tensor>
            {
                public Net() : base("net") { }
                public override Tensor forward(Tensor x) => x;
            }

            public readonly record struct Example(float[] X, long Y);

            public sealed class Batch : IBatch<Batch, Example>
            {
                public Tensor X { get; init; } = null!;
                public Tensor Y { get; init; } = null!;
                public static Batch Collate(ReadOnlySpan<Example> examples, Device device) => new();
                public void Dispose() { }
            }

            public sealed class NotABatch { public Tensor X { get; init; } = null!; }
        }
        """;

    /// <summary>A trainer in namespace Demo with the usings it needs.</summary>
    public static string Trainer(string body) => $$"""
        using System;
        using System.Threading.Tasks;
        using Dsl;
        using TorchSharp;
        using static TorchSharp.torch;
        using static TorchSharp.torch.optim;
        using static TorchSharp.torch.optim.lr_scheduler;

        namespace Demo;

        {{body}}
        """;
}
