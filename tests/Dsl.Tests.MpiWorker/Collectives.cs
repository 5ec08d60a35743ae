using System.Text.Json.Nodes;
using Dsl;
using Dsl.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.MpiWorker;

/// <summary>
/// --collectives 1: every collective of the process group once, with values whose sums are exact, so a test
/// can check the binding under each MPI without training: sums of float32, float64 and int64 (beyond 32 bits),
/// a broadcast from the last rank, a gather of byte arrays of different lengths (rank 0's empty), a barrier.
/// </summary>
public static class Collectives
{
    public static JsonObject Run(string output)
    {
        var group = DistributedLaunch.For(new TrainingArguments { OutputDir = output, DdpTimeout = 120 })
            ?? throw new InvalidOperationException("--collectives needs a launcher with at least 2 ranks.");
        int rank = group.Rank, size = group.WorldSize;

        using var floats = torch.arange(100, dtype: ScalarType.Float32).mul((rank + 1) * 0.5);
        group.AllReduceSum(floats, "float32 sum");
        using var doubles = torch.tensor(new[] { 1e300 / size, rank + 0.25 }, ScalarType.Float64);
        group.AllReduceSum(doubles, "float64 sum");
        using var longs = torch.tensor(new[] { (1L << 40) + rank, -rank }, ScalarType.Int64);
        group.AllReduceSum(longs, "int64 sum");
        using var broadcast = torch.full(5, (double)rank, dtype: ScalarType.Float32);
        group.Broadcast(broadcast, root: size - 1, "broadcast from the last rank");
        var gathered = group.AllGather(Enumerable.Repeat((byte)rank, 3 * rank).ToArray(), "gather of 3 × rank bytes");
        group.Barrier("barrier");

        var engine = group as MpiProcessGroup;
        return new JsonObject
        {
            ["rank"] = rank,
            ["world_size"] = size,
            ["host"] = System.Environment.MachineName,
            ["abi"] = engine?.Abi,
            ["library"] = engine?.Library,
            ["library_version"] = engine?.LibraryVersion.Split('\n')[0],
            ["float_sums"] = Array(floats.data<float>().ToArray().Select(v => (double)v)),
            ["double_sums"] = Array(doubles.data<double>().ToArray()),
            ["long_sums"] = new JsonArray(longs.data<long>().ToArray().Select(v => (JsonNode?)v).ToArray()),
            ["broadcast"] = Array(broadcast.data<float>().ToArray().Select(v => (double)v)),
            ["gathered"] = new JsonArray(gathered.Select(b => (JsonNode?)Convert.ToHexString(b)).ToArray()),
        };
    }

    private static JsonArray Array(IEnumerable<double> values) => new(values.Select(v => (JsonNode?)v).ToArray());
}
