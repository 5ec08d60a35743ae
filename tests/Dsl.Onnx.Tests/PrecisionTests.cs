using Dsl.Text.Modeling;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Dsl.Onnx.Tests;

/// <summary>
/// float16 graphs against our float16 model. float16 keeps 11 significant bits, so a value of
/// magnitude m moves by up to half an ulp, ulp(m) = 2^(⌊log2 m⌋ − 10), each time it is rounded. ONNX
/// Runtime and libtorch round in slightly different places: libtorch's linear adds the bias before its
/// one rounding, the graph's MatMul rounds and its Add rounds again, and sums run in other orders; so
/// each layer's outputs may differ by an ulp or two. Measured (logged): 3–6 ulps of the outputs' largest
/// magnitude, 13 for the pooler (tanh flattens its largest values, not the errors beneath them). The bound is 32 ulps; a real mistake
/// (a wrong weight, a missing mask, float32 where float16 belongs) is off by hundreds.
/// </summary>
public sealed class PrecisionTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private const double UlpBound = 32;

    // |ours − theirs| in float16 ulps of ours' largest magnitude.
    private static double Ulps(Tensor ours, Tensor theirs)
    {
        double largest = ours.abs().max().to(ScalarType.Float32).item<float>();
        return Ort.MaxDifference(ours, theirs) / Math.Pow(2, Math.Floor(Math.Log2(largest)) - 10);
    }

    private static (Tensor Ids, Tensor Mask, Tensor Types) Batch(BertConfig config) => Berts.Batch(config, [9, 4, 1, 7], seed: 3);

    [Fact]
    public void A_float16_export_computes_as_the_model_converted_to_float16_and_is_half_the_size()
    {
        using var temp = new TempFolder();
        var config = Berts.Config(hidden: 64, heads: 4);
        using var model = Berts.Randomised(new BertForSequenceClassification(config), seed: 21);
        var full = OnnxExport.Save(model, temp.File("float32.onnx"));
        var half = OnnxExport.Save(model, temp.File("float16.onnx"), new OnnxExportOptions { Precision = OnnxPrecision.Float16 });
        log.WriteLine(half.ToString());
        Assert.Equal("float16", half.Precision);
        Assert.InRange(half.Bytes, full.Bytes * 0.45, full.Bytes * 0.55);
        var onnx = Ort.Read(half.Path);
        Assert.All(onnx.Graph.Initializer.Where(t => t.Dims.Count == 2), t => Assert.Equal((int)TensorProto.Types.DataType.Float16, t.DataType));
        Assert.Equal((int)TensorProto.Types.DataType.Float, onnx.Graph.Output[0].Type.TensorType.ElemType);

        using var scope = torch.NewDisposeScope();
        var (ids, mask, types) = Batch(config);
        using var converted = Berts.Randomised(new BertForSequenceClassification(config), seed: 21);
        converted.to(ScalarType.Float16);
        Tensor ours;
        using (torch.no_grad()) ours = converted.forward(ids, mask, types).Logits;
        Assert.Equal(ScalarType.Float16, ours.dtype);
        using var session = Ort.Open(half.Path);
        var theirs = Ort.RunBert(session, ids, mask, types)["logits"];
        double ulps = Ulps(ours, theirs);
        log.WriteLine($"float16 graph vs model.to(float16): largest logit difference {Ort.MaxDifference(ours, theirs):E2} = {ulps:F1} ulps");
        Assert.True(ulps <= UlpBound, $"the float16 logits differ by {ulps:F1} ulps");
        // Not the float32 model's logits: the graph really computes in float16.
        Tensor exact;
        using (torch.no_grad()) exact = model.forward(ids, mask, types).Logits;
        Assert.True(Ort.MaxDifference(exact, theirs) > 1e-5, "the float16 graph gives float32's logits");
    }

    [Fact]
    public void A_model_holding_float16_weights_exports_as_float16_by_itself()
    {
        using var temp = new TempFolder();
        var config = Berts.Config();
        using var model = Berts.Randomised(new BertModel(config), seed: 4);
        model.to(ScalarType.Float16);
        var report = OnnxExport.Save(model, temp.File("encoder.onnx"));
        Assert.Equal("float16", report.Precision);
        using var session = Ort.Open(report.Path);
        using var scope = torch.NewDisposeScope();
        var (ids, mask, types) = Batch(config);
        BertModelOutput ours;
        using (torch.no_grad()) ours = model.forward(ids, mask, types);
        var theirs = Ort.RunBert(session, ids, mask, types);
        double hidden = Ulps(ours.LastHiddenState, theirs["last_hidden_state"]);
        double pooled = Ulps(ours.PoolerOutput!, theirs["pooler_output"]);
        log.WriteLine($"float16 encoder: last_hidden_state {hidden:F1} ulps, pooler_output {pooled:F1} ulps");
        Assert.True(hidden <= UlpBound && pooled <= UlpBound, $"{hidden:F1}, {pooled:F1} ulps");
    }

    [Fact]
    public void A_model_under_Fp16_mixed_precision_exports_its_float16_products_and_float32_norms()
    {
        using var temp = new TempFolder();
        var config = Berts.Config(hidden: 48, heads: 3, act: "gelu_new");
        using var model = Berts.Randomised(new BertForSequenceClassification(config), seed: 8);
        model.ComputeDType = ScalarType.Float16;
        var report = OnnxExport.Save(model, temp.File("mixed.onnx"));
        Assert.Equal("float32 with float16 products", report.Precision);
        var onnx = Ort.Read(report.Path);
        var types = onnx.Graph.Initializer.ToDictionary(t => t.Name, t => (TensorProto.Types.DataType)t.DataType);
        Assert.Equal(TensorProto.Types.DataType.Float16, types["bert.encoder.layer.0.attention.self.query.weight"]);
        Assert.Equal(TensorProto.Types.DataType.Float, types["bert.encoder.layer.0.output.LayerNorm.weight"]);
        Assert.Equal(TensorProto.Types.DataType.Float, types["bert.embeddings.word_embeddings.weight"]);

        using var scope = torch.NewDisposeScope();
        var (ids, mask, typeIds) = Batch(config);
        Tensor ours, exact;
        using (torch.no_grad()) ours = model.forward(ids, mask, typeIds).Logits;
        model.ComputeDType = null;
        using (torch.no_grad()) exact = model.forward(ids, mask, typeIds).Logits;
        using var session = Ort.Open(report.Path);
        var theirs = Ort.RunBert(session, ids, mask, typeIds)["logits"];
        double ulps = Ulps(ours, theirs);
        log.WriteLine($"mixed float16: largest logit difference {ulps:F1} ulps (the float32 model is {Ulps(ours, exact):F1} ulps from ours)");
        Assert.True(ulps <= UlpBound, $"{ulps:F1} ulps");
    }

    [Fact]
    public void Bfloat16_is_refused_with_what_to_set_and_nothing_is_written()
    {
        using var temp = new TempFolder();
        using var model = new BertForSequenceClassification(Berts.Config());
        model.ComputeDType = ScalarType.BFloat16;
        var error = Assert.Throws<NotSupportedException>(() => OnnxExport.Save(model, temp.File("model.onnx")));
        Assert.Contains("BFloat16", error.Message);
        Assert.Contains("OnnxExportOptions.Precision", error.Message);
        model.ComputeDType = null;
        model.to(ScalarType.BFloat16);
        error = Assert.Throws<NotSupportedException>(() => OnnxExport.Save(model, temp.File("model.onnx")));
        Assert.Contains("float32 or float16", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
        // With a precision set, the bfloat16 weights are converted.
        var report = OnnxExport.Save(model, temp.File("model.onnx"), new OnnxExportOptions { Precision = OnnxPrecision.Float32 });
        Assert.Equal("float32", report.Precision);
    }
}
