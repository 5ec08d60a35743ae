using Dsl.Checkpoints;
using Dsl.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Distributed;

/// <summary>
/// The preemption agreement carried by the gradient averaging, on a group whose ranks hold the same gradients
/// and differ only in their stop requests: the answer is the same on every rank, the gradients are untouched by
/// it, and it costs one element of the last bucket. (tests/Dsl.Distributed.Tests runs it across real ranks.)
/// </summary>
[Collection(Support.TorchState.Name)]
public sealed class StopAgreementTests
{
    /// <summary>Two ranks: this one, and another whose buffer equals this one's but for its stop request.</summary>
    private sealed class TwoRanks(bool otherRequestsStop) : ProcessGroup(0, 2)
    {
        public int Sums { get; private set; }
        public override string Backend => "test";
        public override void Abort(string message, int exitCode) => throw new InvalidOperationException(message);
        protected override void AllReduceSumCore(Tensor tensor)
        {
            Sums++;
            using var other = tensor.clone();
            if (Sums == LastBucket)
            {
                using var request = other[-1];   // the stop request rides in the last bucket's last element
                request.fill_(otherRequestsStop ? 1 : 0);
            }
            tensor.add_(other);
        }
        protected override void BroadcastCore(Tensor tensor, int root) { }
        protected override byte[][] AllGatherCore(byte[] local) => [local, local];
        protected override void BarrierCore() { }
        public int LastBucket { get; set; }
    }

    private static (TorchSharp.Modules.Linear Model, Tensor[] Gradients) ModelWithGradients()
    {
        torch.manual_seed(3);
        var model = nn.Linear(4, 3);
        using var loss = model.forward(torch.randn(5, 4)).square().sum();
        loss.backward();
        return (model, model.parameters().Select(p => p.grad!.clone()).ToArray());
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, true)]    // this rank was signalled
    [InlineData(false, true, true)]    // only the other one was: this rank learns it from the same sum
    [InlineData(true, true, true)]
    public void Any_rank_asking_to_stop_is_known_to_every_rank_after_the_averaging(bool mine, bool other, bool agreed)
    {
        var (model, gradients) = ModelWithGradients();
        using var group = new TwoRanks(other);
        var parameters = model.parameters().ToArray();
        using var buckets = new GradientBuckets(parameters, capMegabytes: 25, group.WorldSize);
        group.LastBucket = buckets.Count;
        Assert.Equal(agreed, buckets.Average(group, mine));
        Assert.Equal(buckets.Count, group.Sums);   // no collective of its own
        // Both ranks held the same gradients, so their mean is the gradients themselves, whatever the requests.
        for (int i = 0; i < parameters.Length; i++) Assert.True(parameters[i].grad!.allclose(gradients[i]), parameters[i].ToString());
        Assert.Equal((3 * 4 + 3 + 1) * 4, buckets.Bytes);   // the float32 gradients and one element for the request
    }

    [Fact]
    public void Several_buckets_carry_the_request_in_the_last_one_only()
    {
        var (model, _) = ModelWithGradients();
        using var group = new TwoRanks(otherRequestsStop: true);
        using var buckets = new GradientBuckets(model.parameters().ToArray(), capMegabytes: 1e-5, group.WorldSize);   // one parameter per bucket
        group.LastBucket = buckets.Count;
        Assert.Equal(2, buckets.Count);
        Assert.True(buckets.Average(group, stopRequested: false));
        Assert.Equal((3 * 4 + 3 + 1) * 4, buckets.Bytes);
    }

    [Fact]
    public void Alone_a_run_stops_on_its_own_signal_and_data_parallel_only_on_the_agreement()
    {
        using var watch = new PreemptionWatch();
        Assert.False(watch.StopsAfterStep(dataParallel: false));
        watch.Agree(true);   // another rank was signalled: every rank stops after this step
        Assert.True(watch.StopsAfterStep(dataParallel: true));
        Assert.False(watch.Requested);
    }
}
