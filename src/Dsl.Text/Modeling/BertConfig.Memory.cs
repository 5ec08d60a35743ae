using System.Globalization;

namespace Dsl.Text.Modeling;

public sealed partial record BertConfig
{
    /// <summary>
    /// Parameters of a <see cref="BertForSequenceClassification"/> built from this configuration:
    /// embeddings, every layer, the pooler and the classifier. A double, so absurd sizes do not overflow.
    /// </summary>
    public double EstimatedParameterCount()
    {
        double h = HiddenSize, i = IntermediateSize;
        double embeddings = ((double)VocabSize + MaxPositionEmbeddings + TypeVocabSize) * h + 2 * h;
        // Query, key, value and output (H×H + H each), two LayerNorms (2H each), the feed-forward pair.
        double layer = 4 * (h * h + h) + 4 * h + (h * i + i) + (i * h + h);
        double pooler = h * h + h;
        double classifier = h * NumLabels + NumLabels;
        return embeddings + NumHiddenLayers * layer + pooler + classifier;
    }

    /// <summary>Bytes of the float32 parameters of <see cref="EstimatedParameterCount"/>.</summary>
    public double EstimatedParameterBytes() => EstimatedParameterCount() * sizeof(float);

    /// <summary>The memory the process may use (the container's limit where there is one), or 0 when unknown.</summary>
    internal static long AvailableMemoryBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    // A model whose weights alone exceed the memory would be allocated until the process is killed;
    // refuse it before anything is allocated, with the estimate.
    private void CheckFitsInMemory()
    {
        long available = AvailableMemoryBytes();
        double bytes = EstimatedParameterBytes();
        if (available > 0 && bytes > available)
            throw new ArgumentException(
                $"this configuration describes a model of about {Gigabytes(bytes)} of float32 weights " +
                $"({EstimatedParameterCount().ToString("G3", CultureInfo.InvariantCulture)} parameters: vocab_size {VocabSize}, " +
                $"hidden_size {HiddenSize}, num_hidden_layers {NumHiddenLayers}, intermediate_size {IntermediateSize}), " +
                $"more than the {Gigabytes(available)} of memory this process may use. Check the sizes in config.json.");
    }

    private static string Gigabytes(double bytes) =>
        (bytes / (1L << 30)).ToString(bytes < 1L << 40 ? "0.0" : "G3", CultureInfo.InvariantCulture) + " GiB";
}
