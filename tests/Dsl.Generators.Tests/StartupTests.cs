using Dsl.Generators.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests;

/// <summary>
/// An assembly with a generated loop gets one module initializer that applies Dsl.Threading.LibTorchStartup, so
/// libtorch's OpenMP and MKL settings are in place even when the program builds its model before it touches Dsl.
/// </summary>
public sealed class StartupTests
{
    private const string TwoTrainers = """
        [Trainer]
        public partial class First(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }

        [Trainer]
        public partial class Second(Net model, TrainingArguments args)
        {
            [TrainStep] Tensor Step(Batch batch) => model.forward(batch.X).mean();
        }
        """;

    [Fact]
    public void Two_loops_get_one_module_initializer_that_applies_the_startup_settings()
    {
        var (result, output, _) = GeneratorHarness.Run(Sources.Trainer(TwoTrainers), Sources.Common);
        var startup = Assert.Single(result.GeneratedSources, s => s.HintName == GeneratorHarness.StartupHintName);
        Assert.Equal(2, GeneratorHarness.Trainers(result).Count());
        Assert.Empty(GeneratorHarness.Problems(output));

        // The method is a module initializer that calls the runtime's LibTorchStartup.Apply.
        var tree = output.SyntaxTrees.Single(t => t.FilePath.EndsWith(GeneratorHarness.StartupHintName, StringComparison.Ordinal));
        var model = output.GetSemanticModel(tree);
        var method = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().Single();
        var symbol = model.GetDeclaredSymbol(method)!;
        Assert.Contains(symbol.GetAttributes(), a => a.AttributeClass?.ToDisplayString() == "System.Runtime.CompilerServices.ModuleInitializerAttribute");
        var call = method.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax>().Single();
        Assert.Equal("Dsl.Threading.LibTorchStartup.Apply()", model.GetSymbolInfo(call).Symbol!.ToDisplayString());
        Assert.Contains("DSL_THREADING_DEFAULTS=0", startup.SourceText.ToString());
    }

    [Fact]
    public void An_assembly_whose_only_trainer_is_declined_gets_no_module_initializer()
    {
        var (result, _, _) = GeneratorHarness.Run(Sources.Trainer("""
            [Trainer]
            public partial class Modelless(TrainingArguments args)
            {
                [TrainStep] Tensor Step(Batch batch) => batch.X.mean();
            }
            """), Sources.Common);
        Assert.NotEmpty(result.GeneratedSources);   // the declined trainer's stubs
        Assert.DoesNotContain(result.GeneratedSources, s => s.HintName == GeneratorHarness.StartupHintName);
    }

    [Fact]
    public void The_module_initializer_compiles_as_a_warnings_as_errors_build()
    {
        GeneratedCode.AssertNothingInside(GeneratorHarness.Compile(Sources.Trainer(TwoTrainers), Sources.Common));
    }
}
