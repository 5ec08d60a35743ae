using Dsl.Generators.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Dsl.Generators.Tests;

/// <summary>
/// An assembly with a generated loop gets one module initializer that applies Dsl.Threading.LibTorchStartup, so
/// libtorch's OpenMP and MKL settings are in place even when the program builds its model before it touches Dsl;
/// the build property DslLibTorchStartup=false leaves it out.
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

        // The method is a module initializer that first tells Dsl's fallback to stand down, then applies the settings.
        var tree = output.SyntaxTrees.Single(t => t.FilePath.EndsWith(GeneratorHarness.StartupHintName, StringComparison.Ordinal));
        var model = output.GetSemanticModel(tree);
        var methods = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().ToList();
        var initializer = methods.Single(m => model.GetDeclaredSymbol(m)!.GetAttributes()
            .Any(a => a.AttributeClass?.ToDisplayString() == "System.Runtime.CompilerServices.ModuleInitializerAttribute"));
        string Calls(Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax method) => string.Join(", ",
            method.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax>()
                .Select(call => model.GetSymbolInfo(call).Symbol!.ToDisplayString()));
        Assert.Equal("System.AppContext.SetSwitch(string, bool), Dsl.Generated.LibTorchStartupInitializer.Apply()", Calls(initializer));
        // The call into Dsl sits in a method the JIT compiles only when it is called, after the switch is set.
        var apply = methods.Single(m => m.Identifier.ValueText == "Apply");
        Assert.Equal("Dsl.__Internals.GeneratedStartup.Apply()", Calls(apply));
        Assert.Contains("NoInlining", apply.AttributeLists.ToString());
        Assert.Contains($"SetSwitch(\"{Dsl.Threading.LibTorchStartup.GeneratedSwitch}\", true)", startup.SourceText.ToString());
        Assert.Contains("DSL_THREADING_DEFAULTS=0", startup.SourceText.ToString());
        Assert.Contains("<DslLibTorchStartup>false</DslLibTorchStartup>", startup.SourceText.ToString());
    }

    [Theory]
    [InlineData("false", false)]
    [InlineData("False ", false)]
    [InlineData("true", true)]
    [InlineData("", true)]
    public void The_build_property_DslLibTorchStartup_false_leaves_the_initializer_out(string value, bool written)
    {
        var compilation = GeneratorHarness.Compile(Sources.Trainer(TwoTrainers), Sources.Common);
        var driver = GeneratorHarness.Driver(BuildProperties.With(("build_property.DslLibTorchStartup", value)))
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var result = driver.GetRunResult().Results.Single();
        Assert.Equal(written, result.GeneratedSources.Any(s => s.HintName == GeneratorHarness.StartupHintName));
        Assert.Equal(2, GeneratorHarness.Trainers(result).Count());   // the loops themselves are unchanged
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void The_package_props_make_the_property_visible_to_the_generator_and_a_runtime_switch_of_the_program()
    {
        string props = File.ReadAllText(Path.Combine(DiagnosticTests.RepositoryRoot(), "eng", "Dsl.props"));
        Assert.Contains("<CompilerVisibleProperty Include=\"DslLibTorchStartup\" />", props);
        Assert.Contains($"<RuntimeHostConfigurationOption Include=\"{Dsl.Threading.LibTorchStartup.Switch}\" Value=\"false\" " +
            "Condition=\"'$(DslLibTorchStartup)' == 'false'\" />", props);
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
