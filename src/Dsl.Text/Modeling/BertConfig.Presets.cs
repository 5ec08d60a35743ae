namespace Dsl.Text.Modeling;

public sealed partial record BertConfig
{
    /// <summary><c>google/bert_uncased_L-2_H-128_A-2</c> (BERT-tiny): 2 layers, width 128, 2 heads.</summary>
    public static BertConfig Tiny => Sized(layers: 2, hidden: 128, heads: 2);

    /// <summary><c>google/bert_uncased_L-4_H-256_A-4</c> (BERT-mini): 4 layers, width 256, 4 heads.</summary>
    public static BertConfig Mini => Sized(layers: 4, hidden: 256, heads: 4);

    /// <summary><c>google/bert_uncased_L-4_H-512_A-8</c> (BERT-small): 4 layers, width 512, 8 heads.</summary>
    public static BertConfig Small => Sized(layers: 4, hidden: 512, heads: 8);

    /// <summary><c>google/bert_uncased_L-8_H-512_A-8</c> (BERT-medium): 8 layers, width 512, 8 heads.</summary>
    public static BertConfig Medium => Sized(layers: 8, hidden: 512, heads: 8);

    /// <summary><c>bert-base-uncased</c>: 12 layers, width 768, 12 heads (HF's defaults).</summary>
    public static BertConfig Base => new();

    /// <summary><c>bert-large-uncased</c>: 24 layers, width 1024, 16 heads.</summary>
    public static BertConfig Large => Sized(layers: 24, hidden: 1024, heads: 16);

    // Google's miniature BERTs keep the feed-forward width at 4 × hidden.
    private static BertConfig Sized(int layers, int hidden, int heads) => new()
    {
        NumHiddenLayers = layers,
        HiddenSize = hidden,
        NumAttentionHeads = heads,
        IntermediateSize = 4 * hidden,
    };
}
