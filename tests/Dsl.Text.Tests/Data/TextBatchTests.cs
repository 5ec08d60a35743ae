using Dsl.Text.Data;
using Dsl.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Text.Tests.Data;

public class TextBatchTests
{
    private static EncodedText Example(int length, int? label = 1, int firstType1 = int.MaxValue) => new(
        Enumerable.Range(10, length).ToArray(),
        Enumerable.Range(0, length).Select(i => i >= firstType1 ? 1 : 0).ToArray(),
        Enumerable.Repeat(1, length).ToArray(),
        label);

    [Fact]
    public void Rows_are_padded_to_the_longest_with_int64_tensors()
    {
        using var batch = TextBatch.Collate([Example(3, 0), Example(5, 1, firstType1: 3)], torch.CPU);
        Assert.Equal(new long[] { 2, 5 }, batch.InputIds.shape);
        Assert.Equal((2L, 5L), (batch.Size, batch.SequenceLength));
        foreach (var t in new[] { batch.InputIds, batch.AttentionMask, batch.TokenTypeIds, batch.Labels! })
            Assert.Equal(ScalarType.Int64, t.dtype);
        Assert.Equal(new long[] { 10, 11, 12, 0, 0, 10, 11, 12, 13, 14 }, batch.InputIds.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 0, 0, 1, 1, 1, 1, 1 }, batch.AttentionMask.data<long>().ToArray());
        Assert.Equal(new long[] { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1 }, batch.TokenTypeIds.data<long>().ToArray());
        Assert.Equal(new long[] { 0, 1 }, batch.Labels!.data<long>().ToArray());
    }

    [Fact]
    public void A_fixed_length_and_pad_id_can_be_asked_for()
    {
        using var batch = TextBatch.Collate([Example(2)], torch.CPU, padToLength: 4, padTokenId: 7);
        Assert.Equal(new long[] { 10, 11, 7, 7 }, batch.InputIds.data<long>().ToArray());
        var e = Assert.Throws<ArgumentException>(() => TextBatch.Collate([Example(5)], torch.CPU, padToLength: 4));
        Assert.Contains("more than the padded length 4", e.Message);
    }

    [Fact]
    public void Unlabelled_batches_have_no_labels_and_mixed_ones_are_refused()
    {
        using var batch = TextBatch.Collate([Example(2, null), Example(3, null)], torch.CPU);
        Assert.Null(batch.Labels);
        Assert.Contains("all or none", Assert.Throws<ArgumentException>(() => TextBatch.Collate([Example(2, null), Example(3, 1)], torch.CPU)).Message);
        Assert.Throws<ArgumentException>(() => TextBatch.Collate([], torch.CPU));
    }

    [Fact]
    public void Dispose_frees_every_tensor()
    {
        var batch = TextBatch.Collate([Example(2), Example(4)], torch.CPU);
        var tensors = new[] { batch.InputIds, batch.AttentionMask, batch.TokenTypeIds, batch.Labels! };
        batch.Dispose();
        Assert.All(tensors, t => Assert.True(t.IsInvalid));
    }

    [Fact]
    public void Collate_leaves_no_tensor_behind_outside_a_dispose_scope()
    {
        var examples = new[] { Example(3), Example(6) };
        using (TextBatch.Collate(examples, torch.CPU)) { } // warm up
        long before = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        for (int i = 0; i < 10; i++) using (TextBatch.Collate(examples, torch.CPU)) { }
        Assert.Equal(before, DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
    }
}
