using Dsl.Onnx.Writing;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Dsl.Onnx.Tests;

/// <summary>The comparison every export ends with: it must catch a graph that computes something else.</summary>
public sealed class VerificationTests
{
    private static Dictionary<string, Tensor> Outputs(params float[] values) => new() { ["logits"] = torch.tensor(values).reshape(1, values.Length) };

    [Fact]
    public void Outputs_within_the_tolerance_pass_and_report_the_largest_difference()
    {
        double difference = OrtValues.Compare(Outputs(1f, -2f), Outputs(1.00005f, -2f), tolerance: 1e-4);
        Assert.InRange(difference, 4e-5, 6e-5);
    }

    [Fact]
    public void A_difference_beyond_the_tolerance_names_the_output_and_its_size()
    {
        var error = Assert.Throws<InvalidOperationException>(() => OrtValues.Compare(Outputs(1f, -2f), Outputs(1f, -2.01f), tolerance: 1e-4));
        Assert.Contains("'logits' differs from the model's by up to 1.00E-002", error.Message);
        Assert.Contains("so it was not written", error.Message);
    }

    [Fact]
    public void A_NaN_a_missing_output_or_another_shape_fails()
    {
        Assert.Throws<InvalidOperationException>(() => OrtValues.Compare(Outputs(1f, 2f), Outputs(1f, float.NaN), tolerance: 1e-4));
        Assert.Contains("has no output 'logits'",
            Assert.Throws<InvalidOperationException>(() => OrtValues.Compare(Outputs(1f), new Dictionary<string, Tensor> { ["other"] = torch.zeros(1, 1) }, 1e-4)).Message);
        Assert.Contains("has shape [1, 3], the model's [1, 2]",
            Assert.Throws<InvalidOperationException>(() => OrtValues.Compare(Outputs(1f, 2f), Outputs(1f, 2f, 3f), 1e-4)).Message);
    }
}
