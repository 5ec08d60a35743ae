using Dsl.Checkpoints;
using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Reliability;

/// <summary>
/// Random byte changes in <c>optimizer.bin</c> (its length kept, so the length check passes) load or
/// are refused with <see cref="InvalidDataException"/> naming the file; never a native abort or
/// another exception. <c>DSL_FUZZ_MUTATIONS</c> sets the count (default 200).
/// </summary>
[Collection(TorchState.Name)]
public sealed class OptimizerStateFuzzTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private static readonly int Mutations =
        int.TryParse(Environment.GetEnvironmentVariable("DSL_FUZZ_MUTATIONS"), out int n) && n > 0 ? n : 200;

    [Fact]
    public void Damaged_optimizer_states_of_the_right_length_load_or_are_refused_clearly()
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with { SaveStrategy = SaveStrategy.Steps, SaveSteps = 2, MaxSteps = 2 };
        new ParityTrainer(TinyNet.Create(), args).Train(SampleData.Make(32));
        string path = Path.Combine(Checkpoint.PathFor(temp.Path, 2), Checkpoint.OptimizerFile);
        byte[] original = File.ReadAllBytes(path);
        var random = new Random(7);
        var model = TinyNet.Create();
        int loaded = 0, refused = 0;
        for (int i = 0; i < Mutations; i++)
        {
            byte[] bytes = (byte[])original.Clone();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                // Mostly the first bytes: the type name, counts, options and the first tensor headers.
                int at = random.Next(2) == 0 ? random.Next(Math.Min(256, bytes.Length)) : random.Next(bytes.Length);
                bytes[at] = random.Next(3) == 0 ? (byte)0xFF : (byte)random.Next(256);
            }
            File.WriteAllBytes(path, bytes);
            using var optimizer = optim.AdamW(model.parameters(), lr: 0.01);
            try
            {
                Checkpoint.LoadOptimizer(optimizer, path);
                loaded++;
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(path, e.Message);
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} threw {e.GetType().Name}: {e.Message}");
            }
        }
        log.WriteLine($"{Mutations} mutations: {loaded} loaded, {refused} refused with the file named.");
        Assert.Equal(Mutations, loaded + refused);
    }
}
