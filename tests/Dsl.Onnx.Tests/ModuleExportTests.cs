using Dsl.Text.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Dsl.Onnx.Tests;

/// <summary>A user's own TorchSharp model (a Sequential of known layers) exported, and the clear refusal of everything else.</summary>
public sealed class ModuleExportTests
{
    private const double Tolerance = 1e-4;

    private static double Run(nn.Module<Tensor, Tensor> module, Tensor input, string path)
    {
        using var scope = torch.NewDisposeScope();
        Tensor ours;
        module.eval();
        using (torch.no_grad()) ours = module.forward(input);
        using var session = Ort.Open(path);
        var theirs = input.dtype == ScalarType.Int64
            ? Ort.Run(session, ("input", input))
            : RunFloat(session, input);
        return Ort.MaxDifference(ours, theirs["output"]);
    }

    private static Dictionary<string, Tensor> RunFloat(Microsoft.ML.OnnxRuntime.InferenceSession session, Tensor input)
    {
        using var value = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(input.data<float>().ToArray(), input.shape);
        using var options = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var results = session.Run(options, ["input"], [value], ["output"]);
        return new() { ["output"] = torch.tensor(results[0].GetTensorDataAsSpan<float>().ToArray(), results[0].GetTensorTypeAndShape().Shape) };
    }

    public static TheoryData<string> Activations => new()
    {
        "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "GELU", "GELU tanh", "SiLU", "Mish", "Sigmoid", "Tanh", "Softplus", "Softsign",
        "Hardsigmoid", "Hardswish", "Softmax", "LogSoftmax", "Identity", "Dropout", "AlphaDropout", "FastDropout",
    };

    private static nn.Module<Tensor, Tensor> Activation(string name) => name switch
    {
        "ReLU" => nn.ReLU(), "ReLU6" => nn.ReLU6(), "LeakyReLU" => nn.LeakyReLU(0.2), "ELU" => nn.ELU(0.7), "SELU" => nn.SELU(),
        "GELU" => nn.GELU(), "GELU tanh" => nn.GELU(GELU.Approximate.tanh), "SiLU" => nn.SiLU(), "Mish" => nn.Mish(),
        "Sigmoid" => nn.Sigmoid(), "Tanh" => nn.Tanh(), "Softplus" => nn.Softplus(), "Softsign" => nn.Softsign(),
        "Hardsigmoid" => nn.Hardsigmoid(), "Hardswish" => nn.Hardswish(),
        "Softmax" => nn.Softmax(-1), "LogSoftmax" => nn.LogSoftmax(1), "Identity" => nn.Identity(), "Dropout" => nn.Dropout(0.3),
        "AlphaDropout" => nn.AlphaDropout(0.2), "FastDropout" => new FastDropout(0.4),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void An_MLP_with_each_activation_exports_and_gives_its_own_outputs(string activation)
    {
        using var temp = new TempFolder();
        torch.manual_seed(1);
        using var mlp = nn.Sequential(("fc1", nn.Linear(6, 16)), ("act", Activation(activation)), ("norm", nn.LayerNorm(16)),
            ("drop", nn.Dropout(0.5)), ("fc2", nn.Linear(16, 3)));
        mlp.train();   // exported as in eval mode, whatever mode it is in
        using var input = torch.randn(5, 6) * 3;
        var report = OnnxExport.Save(mlp, input, temp.File("mlp.onnx"));
        Assert.Equal(["input: float32 [batch_size, 6]"], report.Inputs);
        Assert.True(report.MaxDifference < Tolerance);
        Assert.True(mlp.training, "the export left the module in eval mode");
        using var other = torch.randn(11, 6) * 3;   // another batch size: the batch axis is dynamic
        double difference = Run(mlp, other, report.Path);
        Assert.True(difference < Tolerance, $"{activation}: {difference:E2}");
    }

    [Fact]
    public void An_embedding_bag_of_words_classifier_takes_ids_with_any_batch_and_length()
    {
        using var temp = new TempFolder();
        torch.manual_seed(2);
        using var model = nn.Sequential(nn.Embedding(50, 8), nn.LayerNorm([4, 8]), nn.Flatten(), nn.Linear(32, 2), nn.LogSoftmax(-1));
        using var ids = torch.randint(50, [3, 4], dtype: ScalarType.Int64);
        var report = OnnxExport.Save(model, ids, temp.File("bow.onnx"));
        Assert.Equal(["input: int64 [batch_size, dim_1]"], report.Inputs);
        using var more = torch.randint(50, [7, 4], dtype: ScalarType.Int64);
        Assert.True(Run(model, more, report.Path) < Tolerance);
        // Parameters keep their state-dict names.
        Assert.Contains(Ort.Read(report.Path).Graph.Initializer, t => t.Name == "3.weight");
    }

    [Fact]
    public void Nested_sequentials_and_a_float16_module_export()
    {
        using var temp = new TempFolder();
        torch.manual_seed(3);
        using var model = nn.Sequential(("body", nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.LayerNorm(8, elementwise_affine: false))), ("head", nn.Linear(8, 2)));
        model.to(ScalarType.Float16);
        using var input = torch.randn(3, 4).to(ScalarType.Float16);
        var report = OnnxExport.Save(model, input, temp.File("half.onnx"));
        Assert.Equal("float16", report.Precision);
        Assert.Contains(Ort.Read(report.Path).Graph.Initializer, t => t.Name == "body.0.weight");
        Assert.NotNull(report.MaxDifference);
    }

    private sealed class Custom : nn.Module<Tensor, Tensor>
    {
        private readonly Linear inner = nn.Linear(4, 4);
        public Custom() : base(nameof(Custom)) => RegisterComponents();
        public override Tensor forward(Tensor input) => inner.forward(input) * 2;
    }

    [Fact]
    public void An_unknown_module_is_refused_naming_its_path_and_type_and_nothing_is_written()
    {
        using var temp = new TempFolder();
        using var model = nn.Sequential(("encoder", nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Conv1d(4, 4, 1), new Custom())), ("head", nn.Linear(4, 2)));
        using var input = torch.randn(2, 4);
        var error = Assert.Throws<NotSupportedException>(() => OnnxExport.Save(model, input, temp.File("model.onnx")));
        Assert.Contains("module 'encoder.2' (TorchSharp.Modules.Conv1d)", error.Message);
        Assert.Contains("Sequential, Linear, Embedding, LayerNorm", error.Message);
        Assert.DoesNotContain("Custom", error.Message);
        using var custom = new Custom();
        error = Assert.Throws<NotSupportedException>(() => OnnxExport.Save(custom, input, temp.File("model.onnx")));
        Assert.Contains("the root module (Dsl.Onnx.Tests.ModuleExportTests+Custom)", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void Settings_the_exporter_cannot_write_and_wrong_samples_are_refused_clearly()
    {
        using var temp = new TempFolder();
        using var features = torch.randn(2, 4);
        using var flatten = nn.Sequential(nn.Linear(4, 4), nn.Flatten(0, 1));
        Assert.Contains("Flatten(0, 1)", Assert.Throws<NotSupportedException>(() => OnnxExport.Save(flatten, features, temp.File("a.onnx"))).Message);
        using var softplus = nn.Sequential(nn.Linear(4, 4), nn.Softplus(beta: 2));
        Assert.Contains("beta 2", Assert.Throws<NotSupportedException>(() => OnnxExport.Save(softplus, features, temp.File("a.onnx"))).Message);
        using var late = nn.Sequential(nn.Linear(4, 4), nn.Embedding(10, 4));
        Assert.Contains("module '1' (Embedding) receives floating-point values", Assert.Throws<NotSupportedException>(() => OnnxExport.Save(late, features, temp.File("a.onnx"))).Message);
        using var ids = torch.ones(2, 4, dtype: ScalarType.Int64);
        using var linear = nn.Sequential(nn.Linear(4, 4));
        Assert.Contains("receives int64 ids", Assert.Throws<NotSupportedException>(() => OnnxExport.Save(linear, ids, temp.File("a.onnx"))).Message);
        using var doubles = torch.randn(2, 4, dtype: ScalarType.Float64);
        Assert.Contains("Float64", Assert.Throws<ArgumentException>(() => OnnxExport.Save(linear, doubles, temp.File("a.onnx"))).Message);
        Assert.Contains("is a folder", Assert.Throws<ArgumentException>(() => OnnxExport.Save(linear, features, temp.Path)).Message);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }
}
