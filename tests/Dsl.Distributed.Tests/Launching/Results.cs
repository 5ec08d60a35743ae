using System.Text.Json.Nodes;

namespace Dsl.Distributed.Tests.Launching;

/// <summary>Comparisons of what the worker's ranks wrote.</summary>
internal static class Results
{
    /// <summary>The log entries with a training loss.</summary>
    public static List<JsonObject> TrainingLogs(JsonObject result) =>
        result["log_history"]!.AsArray().Select(e => e!.AsObject()).Where(e => e.ContainsKey("loss")).ToList();

    /// <summary>Every parameter of <paramref name="actual"/> within <paramref name="tolerance"/> of <paramref name="expected"/>'s.</summary>
    public static void AssertSameWeights(JsonObject expected, JsonObject actual, double tolerance)
    {
        var a = expected["weights"]!.AsObject();
        var b = actual["weights"]!.AsObject();
        Assert.Equal(a.Select(p => p.Key).Order(), b.Select(p => p.Key).Order());
        foreach (var (name, values) in a)
        {
            var x = values!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            var y = b[name]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            Assert.Equal(x.Length, y.Length);
            for (int i = 0; i < x.Length; i++)
                Assert.True(Math.Abs(x[i] - y[i]) <= tolerance, $"{name}[{i}]: {x[i]} against {y[i]}");
        }
    }

    /// <summary>
    /// The data-parallel equivalence: the same step count, logged losses within 1e-6 (HF logs the mean over ranks),
    /// grad norms within 1e-5, the same learning rates, train_loss within 1e-6 and weights within 1e-5.
    /// </summary>
    public static void AssertTrainedAlike(JsonObject single, JsonObject rank0, int steps)
    {
        Assert.Equal(steps, single["global_step"]!.GetValue<int>());
        Assert.Equal(steps, rank0["global_step"]!.GetValue<int>());
        var expected = TrainingLogs(single);
        var actual = TrainingLogs(rank0);
        Assert.Equal(steps, expected.Count);
        Assert.Equal(expected.Select(e => e["step"]!.GetValue<int>()), actual.Select(e => e["step"]!.GetValue<int>()));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i]["loss"]!.GetValue<double>(), actual[i]["loss"]!.GetValue<double>(), 1e-6);
            Assert.Equal(expected[i]["grad_norm"]!.GetValue<double>(), actual[i]["grad_norm"]!.GetValue<double>(), 1e-5);
            Assert.Equal(expected[i]["learning_rate"]!.GetValue<double>(), actual[i]["learning_rate"]!.GetValue<double>());
        }
        Assert.Equal(single["train_loss"]!.GetValue<double>(), rank0["train_loss"]!.GetValue<double>(), 1e-6);
        AssertSameWeights(single, rank0, 1e-5);
    }
}
