using Dsl.Adapters;

namespace Dsl.Tests.Adapters;

/// <summary>PEFT's target_modules and modules_to_save rules, on names alone.</summary>
public sealed class LoraTargetsTests
{
    /// <summary>A two-layer BERT for sequence classification, as named_modules() lists it.</summary>
    internal static List<ModuleInfo> Bert(int layers = 2)
    {
        var modules = new List<ModuleInfo> { new("bert", "BertModel", false), new("bert.embeddings", "BertEmbeddings", false) };
        for (int i = 0; i < layers; i++)
        {
            string p = $"bert.encoder.layer.{i}";
            modules.AddRange([
                new(p, "BertLayer", false), new(p + ".attention", "BertAttention", false), new(p + ".attention.self", "BertSelfAttention", false),
                new(p + ".attention.self.query", "Linear", true), new(p + ".attention.self.key", "Linear", true), new(p + ".attention.self.value", "Linear", true),
                new(p + ".attention.output", "BertSelfOutput", false), new(p + ".attention.output.dense", "Linear", true),
                new(p + ".intermediate", "BertIntermediate", false), new(p + ".intermediate.dense", "Linear", true),
                new(p + ".output", "BertOutput", false), new(p + ".output.dense", "Linear", true), new(p + ".output.LayerNorm", "LayerNorm", false),
            ]);
        }
        modules.AddRange([new("bert.pooler", "BertPooler", false), new("bert.pooler.dense", "Linear", true), new("dropout", "FastDropout", false), new("classifier", "Linear", true)]);
        return modules;
    }

    private static LoraTargets Resolve(LoraConfig config, string? modelType = "bert") =>
        LoraTargets.Resolve(Bert(), config, modelType, "BertForSequenceClassification");

    [Fact]
    public void An_entry_matches_a_whole_name_or_the_end_of_one_after_a_dot()
    {
        var targets = Resolve(new LoraConfig { TargetModules = ["query", "layer.1.attention.output.dense", "bert.pooler.dense"] });
        Assert.Equal(
            ["bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.1.attention.self.query", "bert.encoder.layer.1.attention.output.dense", "bert.pooler.dense"],
            targets.Linear);
        // "uery" ends "query" but not after a dot: PEFT's key.endswith(f".{target_key}") does not match it.
        var error = Assert.Throws<ArgumentException>(() => Resolve(new LoraConfig { TargetModules = ["uery"] }));
        Assert.Contains("entry 'uery' matches no module of BertForSequenceClassification", error.Message);
    }

    [Fact]
    public void A_regex_must_match_the_whole_name_as_re_fullmatch_does()
    {
        var targets = Resolve(new LoraConfig { TargetModulesRegex = @".*layer\.0\..*(query|value)" });
        Assert.Equal(["bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.0.attention.self.value"], targets.Linear);
        Assert.Equal(@".*layer\.0\..*(query|value)", targets.WrittenTargets);
        var partial = Assert.Throws<ArgumentException>(() => Resolve(new LoraConfig { TargetModulesRegex = "query" }));
        Assert.Contains("matches no module", partial.Message);
    }

    [Fact]
    public void Without_targets_a_bert_takes_PEFTs_default_query_and_value()
    {
        var targets = Resolve(new LoraConfig());
        Assert.Equal(4, targets.Linear.Count);
        Assert.All(targets.Linear, name => Assert.True(name.EndsWith(".query", StringComparison.Ordinal) || name.EndsWith(".value", StringComparison.Ordinal)));
        var unknown = Assert.Throws<ArgumentException>(() => Resolve(new LoraConfig(), modelType: null));
        Assert.Contains("has no default targets", unknown.Message);
        Assert.Contains("\"query\"", unknown.Message);
    }

    [Fact]
    public void All_linear_adapts_every_Linear_but_a_classifiers_head_and_writes_their_names()
    {
        var targets = Resolve(new LoraConfig { TargetModules = [LoraConfig.AllLinear], TaskType = PeftTaskType.SeqCls });
        Assert.Equal(2 * 6 + 1, targets.Linear.Count);   // six per layer and the pooler
        Assert.DoesNotContain("classifier", targets.Linear);
        Assert.Equal(targets.Linear, (IEnumerable<string>)targets.WrittenTargets);
        Assert.Equal(["classifier"], targets.ModulesToSave);
        // Without a task type PEFT leaves the head in (a plain torch model has no "head").
        Assert.Contains("classifier", Resolve(new LoraConfig { TargetModules = ["ALL-LINEAR"] }).Linear);
    }

    [Fact]
    public void A_target_that_matches_nothing_names_the_nearest_Linear_layers()
    {
        var error = Assert.Throws<ArgumentException>(() => Resolve(new LoraConfig { TargetModules = ["query", "vaule"] }));
        Assert.Equal(
            "LoraConfig.TargetModules entry 'vaule' matches no module of BertForSequenceClassification; nearest Linear layers: value, dense, key. " +
            "An entry is a module's full name or the end of one after a dot. (Parameter 'TargetModules')",
            error.Message);
    }

    [Fact]
    public void A_target_that_is_not_a_Linear_layer_says_which_Linear_layers_are_inside_it()
    {
        var error = Assert.Throws<ArgumentException>(() => Resolve(new LoraConfig { TargetModules = ["attention"] }));
        Assert.Contains("matches bert.encoder.layer.0.attention (BertAttention), which is not a Linear layer", error.Message);
        Assert.Contains("self.query, self.key, self.value, output.dense", error.Message);
    }

    [Fact]
    public void Modules_to_save_take_no_adapter_and_a_task_adds_its_head()
    {
        var targets = Resolve(new LoraConfig { TargetModules = ["dense"], TaskType = PeftTaskType.SeqCls, ModulesToSave = ["pooler"] });
        Assert.Equal(["bert.pooler", "classifier"], targets.ModulesToSave);
        Assert.DoesNotContain("bert.pooler.dense", targets.Linear);   // PEFT: no adapter inside a module to save
        Assert.Equal(6, targets.Linear.Count);

        var only = Assert.Throws<ArgumentException>(() => Resolve(new LoraConfig { TargetModules = ["classifier"], TaskType = PeftTaskType.SeqCls }));
        Assert.Contains("matches only modules inside ModulesToSave", only.Message);
    }

    [Fact]
    public void A_module_to_save_that_matches_nothing_is_an_error_unless_it_is_the_tasks_own_head()
    {
        // SEQ_CLS adds "score" too (PEFT's list); BERT has none, which is fine.
        Assert.Equal(["classifier"], Resolve(new LoraConfig { TaskType = PeftTaskType.SeqCls }).ModulesToSave);
        var error = Assert.Throws<ArgumentException>(() => Resolve(new LoraConfig { ModulesToSave = ["clasifier"] }));
        Assert.Contains("ModulesToSave entry 'clasifier' matches no module of BertForSequenceClassification; nearest: classifier", error.Message);
    }

    [Theory]
    [InlineData("bert.encoder.layer.3.attention.self.query", "query", true)]
    [InlineData("bert.encoder.layer.3.attention.self.query", "self.query", true)]
    [InlineData("bert.encoder.layer.3.attention.self.query", "layer.3.attention.self.query", true)]
    [InlineData("bert.encoder.layer.3.attention.self.query", "elf.query", false)]
    [InlineData("bert.encoder.layer.*.attention.self.query", "layer.7.attention.self.query", true)]
    [InlineData("bert.encoder.layer.*.attention.self.query", "layer.x.attention.self.query", false)]
    public void Matching_a_target_compares_whole_segments_and_an_unknown_index_stands_for_any_number(string module, string entry, bool matches) =>
        Assert.Equal(matches, ModuleNames.MatchesTarget(module, entry));

    [Theory]
    [InlineData("classifier", "classifier", true)]
    [InlineData("bert.classifier", "classifier", true)]
    [InlineData("myclassifier", "classifier", true)]   // PEFT's key.endswith(name): no dot needed
    [InlineData("classifier.out", "classifier", false)]
    [InlineData("bert.encoder.layer.*.output", "3.output", true)]
    public void Matching_a_module_to_save_is_PEFTs_endswith(string module, string entry, bool matches) =>
        Assert.Equal(matches, ModuleNames.MatchesModuleToSave(module, entry));
}
