using System.Collections.Immutable;
using Dsl.Generators.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Generators.Tests.Analyzers;

/// <summary>
/// DSL054: a constant LoRA target or module to save that matches no module of a model whose tree is known;
/// DSL055: a constant LoRA setting that can never work. Both where LoraModel.Apply would throw at run time.
/// </summary>
public sealed class LoraConfigTests
{
    /// <summary>A model of the user's own: blocks in a ModuleList, each with query/value Linear layers; a classifier.</summary>
    private const string Tower = """
        using System;
        using Dsl.Adapters;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        namespace Demo;

        public sealed class Block : nn.Module<Tensor, Tensor>
        {
            private readonly Linear query, value;
            private readonly LayerNorm norm;
            public Block() : base("block") { query = nn.Linear(4, 4); value = nn.Linear(4, 4); norm = nn.LayerNorm(4); RegisterComponents(); }
            public override Tensor forward(Tensor x) => value.call(query.call(x));
        }

        public sealed class Tower : nn.Module<Tensor, Tensor>
        {
            private readonly ModuleList<Block> layers = nn.ModuleList(new Block(), new Block());
            [TorchSharp.Utils.ComponentName(Name = "head")] private readonly Linear classifier = nn.Linear(4, 2);
            private readonly int _width = 4;
            public Tower() : base("tower") => RegisterComponents();
            public override Tensor forward(Tensor x) => classifier.call(x);
        }

        """;

    private static void Verify(string body) => Markup.Verify(Tower + body);

    [Fact]
    public void DSL054_a_target_that_matches_no_Linear_layer_is_reported_on_the_entry() => Verify("""
        public static class Runs
        {
            public static void Typos(Tower tower)
            {
                LoraModel.Apply(tower, new LoraConfig { TargetModules = ["query", {|DSL054:"vaule"|}] });
                var config = new LoraConfig { TargetModules = [{|DSL054:"layers.x.query"|}, "layers.1.value", "head"] };
                LoraModel.Apply(tower, config);
                LoraModel.Apply(tower, new LoraConfig { TargetModules = [{|DSL054:"norm"|}], ModulesToSave = ["head", {|DSL054:"clasifier"|}] });
                LoraModel.Apply(tower, new LoraConfig { {|DSL054:TargetModulesRegex = "query"|} });
            }
        }
        """);

    [Fact]
    public void DSL054_is_silent_for_names_that_match_and_for_trees_it_cannot_know() => Verify("""
        public sealed class Opaque : nn.Module<Tensor, Tensor>
        {
            private readonly nn.Module<Tensor, Tensor> inner = nn.Linear(4, 4);
            public Opaque() : base("opaque") => RegisterComponents();
            public override Tensor forward(Tensor x) => inner.call(x);
        }

        public sealed class ByHand : nn.Module<Tensor, Tensor>
        {
            public ByHand() : base("by-hand") => register_module("fc", nn.Linear(4, 4));
            public override Tensor forward(Tensor x) => x;
        }

        public static class Runs
        {
            public static void Fine(Tower tower, nn.Module any, Opaque opaque, ByHand byHand, string[] names, string name)
            {
                LoraModel.Apply(tower, new LoraConfig { TargetModules = ["query", "value", "layers.0.query", "head"], ModulesToSave = ["classifier", "score"] });
                LoraModel.Apply(tower, new LoraConfig { TargetModules = ["all-linear"] });
                LoraModel.Apply(tower, new LoraConfig { TargetModulesRegex = @"layers\.1\.(query|value)" });
                LoraModel.Apply(tower, new LoraConfig { TargetModules = names });
                LoraModel.Apply(tower, new LoraConfig { TargetModules = [name, "query"] });
                LoraModel.Apply(tower, new LoraConfig());
                LoraModel.Apply(any, new LoraConfig { TargetModules = ["vaule"] });
                LoraModel.Apply(opaque, new LoraConfig { TargetModules = ["vaule"] });
                LoraModel.Apply(byHand, new LoraConfig { TargetModules = ["vaule"] });
                LoraModel.Apply(nn.Sequential(), new LoraConfig { TargetModules = ["vaule"] });
            }
        }
        """);

    [Fact]
    public void DSL054_reads_the_tree_of_a_referenced_librarys_model_from_its_ModuleTree_attribute()
    {
        var library = Library("""
            using Dsl.Adapters;
            using TorchSharp;
            using TorchSharp.Modules;
            using static TorchSharp.torch;

            namespace Lib;

            [ModuleTree(["encoder.layer.*.attention.self.query", "encoder.layer.*.attention.self.value", "classifier"], ["encoder", "encoder.layer", "encoder.layer.*"])]
            public sealed class Described : nn.Module<Tensor, Tensor>
            {
                private readonly Linear classifier = nn.Linear(4, 2);
                public Described() : base("described") => RegisterComponents();
                public override Tensor forward(Tensor x) => x;
            }

            public sealed class Undescribed : nn.Module<Tensor, Tensor>
            {
                private readonly Linear classifier = nn.Linear(4, 2);
                public Undescribed() : base("undescribed") => RegisterComponents();
                public override Tensor forward(Tensor x) => x;
            }
            """);
        string markup = """
            using Dsl.Adapters;

            public static class Runs
            {
                public static void Run(Lib.Described described, Lib.Undescribed undescribed)
                {
                    LoraModel.Apply(described, new LoraConfig { TargetModules = ["query", {|DSL054:"vaule"|}, "layer.3.attention.self.value"] });
                    LoraModel.Apply(undescribed, new LoraConfig { TargetModules = ["vaule"] });   // its private fields are not visible
                }
            }
            """;
        Markup.Verify(markup, GeneratorHarness.Compile(GeneratorHarness.References.Value.Add(library), Markup.Parse(markup).Source));
    }

    [Fact]
    public void DSL054s_message_names_the_entry_the_model_and_the_nearest_Linear_layers()
    {
        var compilation = GeneratorHarness.Compile(Tower + """
            public static class Runs
            {
                public static void Run(Tower tower) => LoraModel.Apply(tower, new LoraConfig { TargetModules = ["vaule"] });
            }
            """);
        var diagnostic = Assert.Single(AnalyzerHarness.Analyze(compilation), d => d.Id == "DSL054");
        Assert.Equal("LoraConfig.TargetModules entry 'vaule' matches no Linear layer of Tower; nearest: value, head, query", diagnostic.GetMessage());
        Assert.Equal("value|head|query", diagnostic.Properties["Nearest"]);
    }

    [Fact]
    public void DSL055_a_constant_setting_LoraConfig_Validate_rejects_is_reported_on_its_assignment() => Verify("""
        public static class Settings
        {
            public static LoraConfig[] Make(int rank) =>
            [
                new LoraConfig { {|DSL055:R = 0|}, {|DSL055:LoraAlpha = -8|}, {|DSL055:LoraDropout = 1.0|} },
                new LoraConfig { {|DSL055:FanInFanOut = true|}, {|DSL055:TargetModules = []|} },
                new LoraConfig { {|DSL055:TargetModulesRegex = "(query"|} },
                new LoraConfig { TargetModules = ["query"], {|DSL055:TargetModulesRegex = ".*value"|} },
                new LoraConfig { R = rank, LoraAlpha = 16, LoraDropout = 0.1, TargetModules = null, TargetModulesRegex = ".*value" },
                new LoraConfig() with { {|DSL055:R = -1|} },
            ];
        }
        """);

    [Fact]
    public void The_fix_puts_one_of_the_nearest_names_in_place_of_the_entry()
    {
        string Make(string entry) => Tower + $$"""
            public static class Runs
            {
                public static void Run(Tower tower) => LoraModel.Apply(tower, new LoraConfig { TargetModules = ["query", {{entry}}] });
            }
            """;
        CodeFixHarness.Verify(Make("{|DSL054:\"vaule\"|}"), "DSL054", Make("\"value\""), title: "Use \"value\"");
        var offered = CodeFixHarness.Offered(Make("{|DSL054:\"vaule\"|}"), "DSL054");
        Assert.Equal(["Use \"value\"", "Use \"head\"", "Use \"query\""], offered.Select(a => a.Title));
    }

    /// <summary>A referenced assembly as a build sees it: metadata only, without its private members.</summary>
    private static MetadataReference Library(string source)
    {
        var compilation = CSharpCompilation.Create("Lib", [CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions)],
            GeneratorHarness.References.Value, GeneratorHarness.CompilationOptions);
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return MetadataReference.CreateFromImage(image.ToArray());
    }
}
