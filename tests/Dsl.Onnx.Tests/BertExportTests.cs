using Dsl.Text.Modeling;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Dsl.Onnx.Tests;

/// <summary>Dsl.Text's BERT exported and run by ONNX Runtime, against the model's own forward pass.</summary>
public sealed class BertExportTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string, int, int, int, string, double, int, int> Configs => new()
    {
        // name, hidden, layers, heads, activation, eps, type vocab, labels
        { "tiny gelu", 32, 2, 4, "gelu", 1e-12, 2, 2 },
        { "tanh-gelu, 3 labels, eps 1e-5, one segment", 24, 1, 3, "gelu_new", 1e-5, 1, 3 },
        { "relu, regression, 3 segments", 16, 3, 2, "relu", 1e-6, 3, 1 },
        { "silu, one head", 20, 1, 1, "silu", 1e-12, 2, 4 },
        { "tanh", 12, 2, 6, "tanh", 1e-12, 2, 2 },
        { "no layers", 16, 0, 2, "gelu", 1e-12, 2, 2 },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void A_classifier_exported_gives_its_own_logits_in_ONNX_Runtime(string name, int hidden, int layers, int heads, string act, double eps, int types, int labels)
    {
        using var temp = new TempFolder();
        var config = Berts.Config(hidden, layers, heads, act, eps, types, labels);
        using var model = Berts.Randomised(new BertForSequenceClassification(config), seed: hidden + layers);
        var report = OnnxExport.Save(model, temp.File("model.onnx"));
        log.WriteLine($"{name}: {report}");
        Assert.NotNull(report.MaxDifference);

        using var session = Ort.Open(report.Path);
        using var scope = torch.NewDisposeScope();
        var (ids, mask, typeIds) = Berts.Batch(config, [7, 3, 1, 5], seed: 1);
        Tensor ours;
        using (torch.no_grad()) ours = model.forward(ids, mask, typeIds).Logits;
        var theirs = Ort.RunBert(session, ids, mask, typeIds);
        Assert.Equal(["logits"], theirs.Keys);
        double difference = Ort.MaxDifference(ours, theirs["logits"]);
        log.WriteLine($"{name}: largest logit difference {difference:E2}");
        Assert.True(difference < Tolerance, $"{name}: the logits differ by {difference:E2}");
    }

    [Fact]
    public void One_graph_takes_any_batch_size_and_any_length_up_to_the_models_positions()
    {
        using var temp = new TempFolder();
        var config = Berts.Config(positions: 16);
        using var model = Berts.Randomised(new BertForSequenceClassification(config), seed: 3);
        using var session = Ort.Open(OnnxExport.Save(model, temp.File("model.onnx")).Path);
        foreach (int[] lengths in new[] { new[] { 1 }, [16, 16, 16], [2, 9, 16, 1, 5], [4] })
        {
            using var scope = torch.NewDisposeScope();
            var (ids, mask, types) = Berts.Batch(config, lengths, seed: lengths.Length);
            Tensor ours;
            using (torch.no_grad()) ours = model.forward(ids, mask, types).Logits;
            var theirs = Ort.RunBert(session, ids, mask, types)["logits"];
            Assert.Equal([lengths.Length, 2L], theirs.shape);
            Assert.True(Ort.MaxDifference(ours, theirs) < Tolerance, $"batch [{string.Join(", ", lengths)}]");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_encoder_exports_its_hidden_states_and_its_pooler_when_it_has_one(bool pooler)
    {
        using var temp = new TempFolder();
        var config = Berts.Config(act: "gelu_pytorch_tanh");
        using var model = Berts.Randomised(new BertModel(config, addPoolingLayer: pooler), seed: 5);
        var report = OnnxExport.Save(model, temp.File("encoder.onnx"));
        using var session = Ort.Open(report.Path);
        using var scope = torch.NewDisposeScope();
        var (ids, mask, types) = Berts.Batch(config, [6, 2, 4], seed: 7);
        BertModelOutput ours;
        using (torch.no_grad()) ours = model.forward(ids, mask, types);
        var theirs = Ort.RunBert(session, ids, mask, types);
        Assert.Equal(pooler ? ["last_hidden_state", "pooler_output"] : ["last_hidden_state"], theirs.Keys.Order());
        Assert.True(Ort.MaxDifference(ours.LastHiddenState, theirs["last_hidden_state"]) < Tolerance);
        if (pooler) Assert.True(Ort.MaxDifference(ours.PoolerOutput!, theirs["pooler_output"]) < Tolerance);
    }

    [Fact]
    public void The_file_records_opset_IR_version_HFs_names_dynamic_axes_and_the_configuration()
    {
        using var temp = new TempFolder();
        var config = Berts.Config(labels: 3) with { Id2Label = new Dictionary<int, string> { [0] = "neg", [1] = "neutral", [2] = "pos" } };
        using var model = new BertForSequenceClassification(config);
        var report = OnnxExport.Save(model, temp.File("model.onnx"));
        var onnx = Ort.Read(report.Path);

        Assert.Equal(8, onnx.IrVersion);
        Assert.Equal((OnnxExport.Opset, OnnxExport.IrVersion), (report.Opset, report.IrVersion));
        Assert.Equal(17, Assert.Single(onnx.OpsetImport, o => o.Domain == "").Version);
        Assert.Equal("Dsl.Onnx", onnx.ProducerName);
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], onnx.Graph.Input.Select(i => i.Name));
        foreach (var input in onnx.Graph.Input)
        {
            Assert.Equal((int)TensorProto.Types.DataType.Int64, input.Type.TensorType.ElemType);
            Assert.Equal(["batch_size", "sequence_length"], input.Type.TensorType.Shape.Dim.Select(d => d.DimParam));
        }
        var logits = Assert.Single(onnx.Graph.Output);
        Assert.Equal("logits", logits.Name);
        Assert.Equal("batch_size", logits.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(3, logits.Type.TensorType.Shape.Dim[1].DimValue);

        // Every weight under its HF state-dict name and shape, so the graph can be read back by name.
        var initializers = onnx.Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var (name, parameter) in model.named_parameters())
            Assert.True(initializers.TryGetValue(name, out var tensor) && tensor.Dims.SequenceEqual(parameter.shape), $"{name} is not in the graph as it is in the model");

        var metadata = onnx.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        var saved = System.Text.Json.Nodes.JsonNode.Parse(metadata["config.json"])!;
        Assert.Equal("pos", (string?)saved["id2label"]!["2"]);
        Assert.Equal("BertForSequenceClassification", metadata["architecture"]);
        Assert.Equal("float32", metadata["precision"]);
        Assert.Contains("opset 17, IR version 8", report.ToString());
    }

    [Fact]
    public void Exporting_a_model_in_training_mode_leaves_its_mode_weights_and_the_random_stream_as_they_were()
    {
        using var temp = new TempFolder();
        using var model = Berts.Randomised(new BertForSequenceClassification(Berts.Config()), seed: 9);
        model.train();
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        torch.manual_seed(11);
        using var expected = torch.rand(4);
        torch.manual_seed(11);
        OnnxExport.Save(model, temp.File("model.onnx"), new OnnxExportOptions { Precision = OnnxPrecision.Float16 });
        using var drawn = torch.rand(4);

        Assert.True(model.training);
        Assert.True(drawn.eq(expected).all().item<bool>(), "the export drew from torch's generator");
        foreach (var (name, parameter) in model.named_parameters())
        {
            Assert.Equal(ScalarType.Float32, parameter.dtype);
            Assert.True(parameter.eq(before[name]).all().item<bool>(), $"{name} changed");
        }
    }

    [Fact]
    public void Weights_can_live_beside_the_graph_as_ONNX_external_data()
    {
        using var temp = new TempFolder();
        var config = Berts.Config();
        using var model = Berts.Randomised(new BertForSequenceClassification(config), seed: 13);
        var report = OnnxExport.Save(model, temp.File("model.onnx"), new OnnxExportOptions { ExternalData = true });
        Assert.Equal(temp.File("model.onnx.data"), report.DataPath);
        Assert.True(new FileInfo(report.DataPath!).Length > new FileInfo(report.Path).Length);
        Assert.Equal([temp.File("model.onnx"), temp.File("model.onnx.data")], Directory.GetFileSystemEntries(temp.Path).Order());
        using var session = Ort.Open(report.Path);
        using var scope = torch.NewDisposeScope();
        var (ids, mask, types) = Berts.Batch(config, [5, 3], seed: 2);
        Tensor ours;
        using (torch.no_grad()) ours = model.forward(ids, mask, types).Logits;
        Assert.True(Ort.MaxDifference(ours, Ort.RunBert(session, ids, mask, types)["logits"]) < Tolerance);
    }
}
