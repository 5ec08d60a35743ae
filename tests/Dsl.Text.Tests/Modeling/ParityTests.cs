using System.Text.Json.Nodes;
using Dsl.Text.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Tests.Modeling;

/// <summary>Our forward pass against an independent PyTorch one (Fixtures/make_tiny_bert.py).</summary>
public class ParityTests
{
    private static readonly JsonObject Expected =
        JsonNode.Parse(File.ReadAllText(TestPaths.Fixture("tiny-bert-expected.json")))!.AsObject();

    [Fact]
    public void Logits_hidden_states_and_loss_match_pytorch_to_1e_5()
    {
        using var model = BertForSequenceClassification.FromPretrained(TestPaths.Fixture("tiny-bert"), out var report);
        Assert.True(report.IsExact, report.ToString());
        using var scope = torch.NewDisposeScope();
        var ids = Long2D("input_ids");
        var mask = Long2D("attention_mask");
        var types = Long2D("token_type_ids");
        var labels = torch.tensor(Expected["labels"]!.AsArray().Select(n => (long)n!).ToArray());

        var output = model.forward(ids, mask, types, labels);
        AssertClose(Double2D("logits"), output.Logits);
        Assert.Equal((double)Expected["loss"]!, output.Loss.item<float>(), 1e-5);

        var hidden = model.Bert.forward(ids, mask, types).LastHiddenState.select(1, 0);
        AssertClose(Double2D("cls_hidden"), hidden);
    }

    private static void AssertClose(double[,] expected, Tensor actual)
    {
        Assert.Equal(new long[] { expected.GetLength(0), expected.GetLength(1) }, actual.shape);
        for (int i = 0; i < expected.GetLength(0); i++)
            for (int j = 0; j < expected.GetLength(1); j++)
                Assert.True(Math.Abs(expected[i, j] - actual[i, j].item<float>()) <= 1e-5,
                    $"[{i}, {j}]: expected {expected[i, j]}, got {actual[i, j].item<float>()}");
    }

    private static Tensor Long2D(string name)
    {
        var rows = Expected[name]!.AsArray();
        var values = rows.SelectMany(r => r!.AsArray().Select(v => (long)v!)).ToArray();
        return torch.tensor(values, [rows.Count, values.Length / rows.Count]);
    }

    private static double[,] Double2D(string name)
    {
        var rows = Expected[name]!.AsArray();
        int width = rows[0]!.AsArray().Count;
        var result = new double[rows.Count, width];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < width; j++) result[i, j] = (double)rows[i]![j]!;
        return result;
    }
}
