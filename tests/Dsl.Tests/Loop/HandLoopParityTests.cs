using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Loop;

/// <summary>
/// The generated loop against the best hand-written TorchSharp loop: same seed, model, data order,
/// optimizer and schedule must give bit-identical losses and weights.
/// </summary>
[Collection(TorchState.Name)]
public sealed class HandLoopParityTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Generated_loop_matches_a_hand_written_loop_bit_for_bit(int accumulation)
    {
        using var temp = new TempDirectory();
        var data = SampleData.Make(300);
        var args = Args.Quiet(temp.Path) with
        {
            GradientAccumulationSteps = accumulation,
            NumTrainEpochs = 2,
            PerDeviceTrainBatchSize = 6,   // 50 batches: the last window of each epoch is short when GA = 4
            WarmupSteps = 3,
            MaxGradNorm = 0.5,             // small, so clipping really scales
            DataloaderPrefetchFactor = 2,
        };

        var trainerModel = TinyNet.Create(seed: 3);
        var trainer = new ParityTrainer(trainerModel, args);
        trainer.Train(data);

        var handModel = TinyNet.Create(seed: 3);
        var handLosses = HandLoop(handModel, data, args);

        Assert.True(trainer.State.GlobalStep >= 20, $"only {trainer.State.GlobalStep} optimizer steps");
        Assert.Equal(handLosses, trainer.Losses);
        var expected = handModel.Snapshot();
        foreach (var (name, values) in trainerModel.Snapshot())
            Assert.Equal(expected[name], values);
    }

    /// <summary>
    /// What a careful user writes by hand: seeded per-epoch permutation, GA windows with the loss
    /// divided by the window, TorchSharp's clip_grad_norm_, AdamW, a linear-with-warmup rate set per step.
    /// </summary>
    private static List<float> HandLoop(TinyNet model, List<Sample> data, TrainingArguments args)
    {
        var losses = new List<float>();
        torch.manual_seed(args.Seed);
        var optimizer = torch.optim.AdamW(model.parameters(), lr: args.LearningRate);
        int batchSize = args.PerDeviceTrainBatchSize, ga = args.GradientAccumulationSteps;
        int batches = (data.Count + batchSize - 1) / batchSize;
        int updatesPerEpoch = (batches + ga - 1) / ga;
        int totalSteps = (int)Math.Ceiling(args.NumTrainEpochs * updatesPerEpoch);
        int warmup = args.WarmupSteps, step = 0;
        double Rate(int s) => args.LearningRate * (s < warmup
            ? (double)s / Math.Max(1, warmup)
            : Math.Max(0.0, (double)(totalSteps - s) / Math.Max(1, totalSteps - warmup)));

        model.train();
        for (int epoch = 0; epoch < (int)Math.Ceiling(args.NumTrainEpochs); epoch++)
        {
            using var generator = new torch.Generator((ulong)(args.Seed + epoch));
            using var permutation = torch.randperm(data.Count, dtype: ScalarType.Int64, generator: generator);
            long[] order = permutation.data<long>().ToArray();
            for (int b = 0; b < batches; b++)
            {
                int windowStart = b / ga * ga;
                int window = Math.Min(ga, batches - windowStart);
                using (var scope = torch.NewDisposeScope())
                {
                    var examples = order.Skip(b * batchSize).Take(batchSize).Select(i => data[(int)i]).ToArray();
                    using var batch = SampleBatch.Collate(examples, torch.CPU);
                    var loss = nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
                    losses.Add(loss.item<float>());
                    (window == 1 ? loss : loss / window).backward();
                }
                if ((b + 1) % ga != 0 && b + 1 != batches) continue;
                using (var scope = torch.NewDisposeScope())
                {
                    optimizer.ParamGroups.First().LearningRate = Rate(step);
                    torch.nn.utils.clip_grad_norm_(model.parameters(), args.MaxGradNorm);
                    optimizer.step();
                    model.zero_grad();
                    step++;
                }
            }
        }
        return losses;
    }
}
