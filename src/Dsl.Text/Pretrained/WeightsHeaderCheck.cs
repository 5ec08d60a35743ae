using Dsl.Checkpoints;
using Dsl.Text.Modeling;

namespace Dsl.Text.Pretrained;

/// <summary>
/// Compares a configuration with the shapes in a weights file's header before the model is built,
/// so a <c>config.json</c> that does not belong to <c>model.safetensors</c> is refused before any
/// allocation, naming both files and the field.
/// </summary>
internal static class WeightsHeaderCheck
{
    /// <exception cref="InvalidDataException">A size in <paramref name="config"/> differs from the weights'.</exception>
    public static void Check(BertConfig config, string directory)
    {
        foreach (string file in WeightFiles(directory))
            CheckFile(config, file);
    }

    // model.safetensors, or the shards its index lists (a broken index fails with the loader's own message).
    private static IEnumerable<string> WeightFiles(string directory)
    {
        string single = Path.Combine(directory, PretrainedWeights.SafeTensorsFile);
        if (File.Exists(single)) return [single];
        string index = Path.Combine(directory, PretrainedWeights.SafeTensorsIndex);
        if (!File.Exists(index)) return [];
        return PretrainedWeights.WeightMap(index).Values.Distinct().Order(StringComparer.Ordinal)
            .Select(f => Path.Combine(directory, f)).Where(File.Exists);
    }

    private static void CheckFile(BertConfig config, string file)
    {
        var (tensors, _, _) = SafeTensors.ReadHeader(file);
        foreach (var tensor in tensors)
        {
            string name = tensor.Name.StartsWith("bert.", StringComparison.Ordinal) ? tensor.Name["bert.".Length..] : tensor.Name;
            switch (name)
            {
                case "embeddings.word_embeddings.weight":
                    Expect(tensor, file, ("vocab_size", config.VocabSize), ("hidden_size", config.HiddenSize));
                    break;
                case "embeddings.position_embeddings.weight":
                    Expect(tensor, file, ("max_position_embeddings", config.MaxPositionEmbeddings), ("hidden_size", config.HiddenSize));
                    break;
                case "embeddings.token_type_embeddings.weight":
                    Expect(tensor, file, ("type_vocab_size", config.TypeVocabSize), ("hidden_size", config.HiddenSize));
                    break;
                case "encoder.layer.0.intermediate.dense.weight":
                    Expect(tensor, file, ("intermediate_size", config.IntermediateSize), ("hidden_size", config.HiddenSize));
                    break;
            }
        }
    }

    private static void Expect(SafeTensorInfo tensor, string file, params (string Field, int Value)[] dims)
    {
        if (tensor.Shape.Length == dims.Length && dims.Select((d, i) => tensor.Shape[i] == d.Value).All(x => x)) return;
        string expected = string.Join(", ", dims.Select(d => $"{d.Field} {d.Value}"));
        throw new InvalidDataException(
            $"{BertConfig.FileName} does not match {file}: '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}] but the " +
            $"configuration says [{string.Join(", ", dims.Select(d => d.Value))}] ({expected}). Use the config.json saved with these weights, " +
            "or set PretrainedOptions.IgnoreMismatchedSizes to start new weights where the sizes differ.");
    }
}
