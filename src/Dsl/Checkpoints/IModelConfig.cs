using System.Text.Json.Nodes;

namespace Dsl.Checkpoints;

/// <summary>
/// A model that describes itself in a Hugging Face <c>config.json</c>. Checkpoints write what
/// <see cref="ToConfigJson"/> returns; other models get a minimal config naming their type.
/// </summary>
public interface IModelConfig
{
    /// <summary>The model's <c>config.json</c> content.</summary>
    JsonObject ToConfigJson();
}
