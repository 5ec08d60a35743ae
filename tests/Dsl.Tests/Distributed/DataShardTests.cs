using Dsl.Data;
using Dsl.Distributed;
using Dsl.Tests.Support;

namespace Dsl.Tests.Distributed;

/// <summary>accelerate's BatchSamplerShard (split_batches=False): rank r takes batches r, r + N, ...</summary>
public sealed class DataShardTests
{
    private static readonly int[] Ten = Enumerable.Range(100, 10).ToArray();

    private static int[] Take(int rank, int ranks, int batch, bool dropLast, bool even) =>
        new DataShard(rank, ranks, even).Select(Ten, batch, dropLast);

    [Fact]
    public void Even_batches_fill_the_end_of_the_epoch_from_its_start()
    {
        // Batches of 3: [100 101 102] [103 104 105] [106 107 108] [109]; the short one is filled from the start.
        Assert.Equal([100, 101, 102, 106, 107, 108], Take(0, 2, 3, dropLast: false, even: true));
        Assert.Equal([103, 104, 105, 109, 100, 101], Take(1, 2, 3, dropLast: false, even: true));
        // Three ranks: a fourth batch for ranks 1 and 2 continues the wrap-around.
        Assert.Equal([100, 101, 102, 109, 100, 101], Take(0, 3, 3, dropLast: false, even: true));
        Assert.Equal([103, 104, 105, 102, 103, 104], Take(1, 3, 3, dropLast: false, even: true));
        Assert.Equal([106, 107, 108, 105, 106, 107], Take(2, 3, 3, dropLast: false, even: true));
    }

    [Fact]
    public void Drop_last_keeps_only_rounds_where_every_rank_has_a_full_batch()
    {
        Assert.Equal([100, 101, 102], Take(0, 2, 3, dropLast: true, even: true));
        Assert.Equal([103, 104, 105], Take(1, 2, 3, dropLast: true, even: true));
    }

    [Fact]
    public void Without_even_batches_every_example_is_taken_once()
    {
        Assert.Equal([100, 101, 102, 106, 107, 108], Take(0, 2, 3, dropLast: false, even: false));
        Assert.Equal([103, 104, 105, 109], Take(1, 2, 3, dropLast: false, even: false));
        var all = Enumerable.Range(0, 3).SelectMany(r => Take(r, 3, 3, dropLast: false, even: false)).Order();
        Assert.Equal(Ten, all);
    }

    [Theory]
    [InlineData(320, 8, 2)]
    [InlineData(321, 8, 2)]
    [InlineData(5, 4, 3)]
    public void One_step_of_N_ranks_sees_one_batch_of_N_times_the_size(int n, int batch, int ranks)
    {
        var order = Enumerable.Range(0, n).ToArray();
        var shards = Enumerable.Range(0, ranks).Select(r => new DataShard(r, ranks, true).Select(order, batch, false)).ToArray();
        Assert.All(shards, s => Assert.Equal(shards[0].Length, s.Length));
        int steps = (n + batch * ranks - 1) / (batch * ranks);
        Assert.Equal(steps * batch, shards[0].Length);
        for (int step = 0; step < steps; step++)
        {
            var union = shards.SelectMany(s => s.Skip(step * batch).Take(batch)).ToArray();
            var global = Enumerable.Range(step * batch * ranks, batch * ranks).Select(i => order[i % n]).ToArray();
            Assert.Equal(global, union);
        }
    }

    [Fact]
    public void A_sharded_loader_counts_and_sizes_this_ranks_batches()
    {
        var data = SampleData.Make(10);
        var loader = new DataLoader<SampleBatch, Sample>(data, 3, shard: new DataShard(1, 2, EvenBatches: false));
        Assert.Equal(2, loader.Count);
        Assert.Equal(3, loader.SizeOf(0));
        Assert.Equal(1, loader.SizeOf(1));
        var even = new DataLoader<SampleBatch, Sample>(data, 3, shuffle: true, shard: new DataShard(1, 2, EvenBatches: true));
        Assert.Equal(2, even.Count);
        Assert.Equal(3, even.SizeOf(1));
        Assert.Equal(6, even.Order(0).Length);
    }

    [Fact]
    public void A_process_not_started_by_mpirun_trains_alone()
    {
        Assert.Null(Environment.GetEnvironmentVariable("PMI_RANK"));
        Assert.Null(DistributedLaunch.For(new TrainingArguments()));
    }

    [Theory]
    [InlineData("nccl", "DdpBackend is 'nccl'")]
    [InlineData("mpi", "was not started by an MPI launcher")]
    public void Impossible_backends_are_named(string backend, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => DistributedLaunch.For(new TrainingArguments { DdpBackend = backend }));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_timeout_below_one_second_is_an_error()
    {
        var e = Assert.Throws<ArgumentException>(() => DistributedLaunch.For(new TrainingArguments { DdpTimeout = 0 }));
        Assert.Contains("DdpTimeout must be at least 1 second (got 0)", e.Message);
    }
}
