using Dsl.Adapters;

namespace Dsl.Text.Modeling;

// The module trees of the BERT models, for the analyzer that checks a constant LoraConfig's TargetModules at compile time
// (it cannot see these types' private fields from a user's project). ModuleTreeTests compares each with a built model.

[ModuleTree(
    linear:
    [
        "bert.encoder.layer.*.attention.self.query", "bert.encoder.layer.*.attention.self.key", "bert.encoder.layer.*.attention.self.value",
        "bert.encoder.layer.*.attention.output.dense", "bert.encoder.layer.*.intermediate.dense", "bert.encoder.layer.*.output.dense",
        "bert.pooler.dense", "classifier",
    ],
    other:
    [
        "bert", "bert.embeddings", "bert.embeddings.word_embeddings", "bert.embeddings.position_embeddings", "bert.embeddings.token_type_embeddings",
        "bert.embeddings.LayerNorm", "bert.embeddings.dropout", "bert.encoder", "bert.encoder.layer", "bert.encoder.layer.*",
        "bert.encoder.layer.*.attention", "bert.encoder.layer.*.attention.self", "bert.encoder.layer.*.attention.self.dropout",
        "bert.encoder.layer.*.attention.output", "bert.encoder.layer.*.attention.output.LayerNorm", "bert.encoder.layer.*.attention.output.dropout",
        "bert.encoder.layer.*.intermediate", "bert.encoder.layer.*.output", "bert.encoder.layer.*.output.LayerNorm",
        "bert.encoder.layer.*.output.dropout", "bert.pooler", "dropout",
    ])]
public sealed partial class BertForSequenceClassification;

[ModuleTree(
    linear:
    [
        "encoder.layer.*.attention.self.query", "encoder.layer.*.attention.self.key", "encoder.layer.*.attention.self.value",
        "encoder.layer.*.attention.output.dense", "encoder.layer.*.intermediate.dense", "encoder.layer.*.output.dense", "pooler.dense",
    ],
    other:
    [
        "embeddings", "embeddings.word_embeddings", "embeddings.position_embeddings", "embeddings.token_type_embeddings", "embeddings.LayerNorm",
        "embeddings.dropout", "encoder", "encoder.layer", "encoder.layer.*", "encoder.layer.*.attention", "encoder.layer.*.attention.self",
        "encoder.layer.*.attention.self.dropout", "encoder.layer.*.attention.output", "encoder.layer.*.attention.output.LayerNorm",
        "encoder.layer.*.attention.output.dropout", "encoder.layer.*.intermediate", "encoder.layer.*.output", "encoder.layer.*.output.LayerNorm",
        "encoder.layer.*.output.dropout", "pooler",
    ])]
public sealed partial class BertModel;
