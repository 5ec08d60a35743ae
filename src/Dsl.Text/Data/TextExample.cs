namespace Dsl.Text.Data;

/// <summary>One labelled text, as the loaders read it: HF's <c>{"text", "label"}</c> row.</summary>
/// <param name="Text">The text.</param>
/// <param name="Label">The class id (0 .. num_labels − 1); null for unlabelled text.</param>
/// <param name="TextPair">The second text of a pair task (e.g. a hypothesis), or null.</param>
public sealed record TextExample(string Text, int? Label, string? TextPair = null);
