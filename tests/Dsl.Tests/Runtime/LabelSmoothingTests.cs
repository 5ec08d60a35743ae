using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Runtime;

/// <summary>
/// <see cref="Losses.CrossEntropy(Tensor, Tensor, double, bool)"/> against HF's <c>LabelSmoother</c>
/// (trainer_pt_utils.py; HF tests/trainer/test_trainer_utils.py test_label_smoothing), with values
/// worked out by hand: -log p = logsumexp(row) - row.
/// </summary>
[Collection(TorchState.Name)]
public sealed class LabelSmoothingTests
{
    [Fact]
    public void Label_smoothing_mixes_the_nll_with_the_mean_over_classes_and_ignores_minus_100()
    {
        // Row [1, 2, 3]: -log p = [2.4076, 1.4076, 0.4076]; label 2: 0.9 × 0.4076 + 0.1 × 4.2228 / 3.
        // The second row's label is -100: it counts for neither term.
        using var logits = tensor(new float[] { 1, 2, 3, 0, 0, 5 }).reshape(2, 3);
        using var labels = tensor(new long[] { 2, -100 });
        using var loss = Losses.CrossEntropy(logits, labels, 0.1);
        Assert.Equal(0.5076059644443807, loss.item<float>(), 6);
    }

    [Fact]
    public void Label_smoothing_averages_over_the_active_labels()
    {
        // Rows [1, 2, 3] (label 0) and [3, 0, -1] (label 1): NLL mean 2.736745, class mean 1.903412; ε = 0.2.
        using var logits = tensor(new float[] { 1, 2, 3, 3, 0, -1 }).reshape(2, 3);
        using var labels = tensor(new long[] { 0, 1 });
        using var loss = Losses.CrossEntropy(logits, labels, 0.2);
        Assert.Equal(2.570078267434238, loss.item<float>(), 5);
    }

    [Fact]
    public void Label_smoothing_is_HFs_mix_of_cross_entropy_and_mean_negative_log_probability()
    {
        // HF test_trainer_utils.py test_label_smoothing: (1 - ε) × cross-entropy + ε × mean(-log p), and
        // with labels set to -100 the same over the remaining positions.
        torch.manual_seed(0);
        using var logits = randn(4, 5, 12);
        using var labels = randint(0, 12, [4, 5]);
        using (var ce = nn.functional.cross_entropy(logits.view(-1, 12), labels.view(-1)))
        using (var meanNegLog = nn.functional.log_softmax(logits, -1).neg().mean())
        using (var smoothed = Losses.CrossEntropy(logits, labels, 0.1))
            Assert.Equal(0.9 * ce.item<float>() + 0.1 * meanNegLog.item<float>(), smoothed.item<float>(), 5);

        var values = labels.data<long>().ToArray();
        values[11] = -100;
        values[13] = -100;
        using var padded = tensor(values).reshape(4, 5);
        using var kept = padded.ne(-100);
        using var activeLogits = logits[kept];
        using var activeLabels = padded[kept];
        using (var ce = nn.functional.cross_entropy(activeLogits, activeLabels))
        using (var meanNegLog = nn.functional.log_softmax(activeLogits, -1).neg().mean())
        using (var smoothed = Losses.CrossEntropy(logits, padded, 0.1))
            Assert.Equal(0.9 * ce.item<float>() + 0.1 * meanNegLog.item<float>(), smoothed.item<float>(), 5);
    }

    [Fact]
    public void Label_smoothing_with_shift_labels_predicts_the_next_token()
    {
        // [1, 3, 2]: positions 0 and 1 predict labels 1 and 0; the last position has nothing to predict.
        using var logits = tensor(new float[] { 2, 0, 0, 1, 1, 1 }).reshape(1, 3, 2);
        using var labels = tensor(new long[] { -100, 1, 0 }).reshape(1, 3);
        using var loss = Losses.CrossEntropy(logits, labels, 0.1, shiftLabels: true);
        Assert.Equal(1.645094849280598, loss.item<float>(), 5);
    }

    [Fact]
    public void Without_label_smoothing_it_is_the_models_cross_entropy()
    {
        using var logits = tensor(new float[] { 1, 2, 3, 0, 0, 5, 2, 1, 0 }).reshape(3, 3);
        using var labels = tensor(new long[] { 2, -100, 0 });
        using var expected = nn.functional.cross_entropy(logits, labels, ignore_index: -100);
        using var loss = Losses.CrossEntropy(logits, labels, new TrainingArguments());
        Assert.Equal(expected.item<float>(), loss.item<float>());
    }

    [Fact]
    public void The_arguments_LabelSmoothingFactor_is_the_epsilon()
    {
        using var logits = tensor(new float[] { 1, 2, 3 }).reshape(1, 3);
        using var labels = tensor(new long[] { 2 });
        using var fromArgs = Losses.CrossEntropy(logits, labels, new TrainingArguments { LabelSmoothingFactor = 0.1 });
        Assert.Equal(0.5076059644443807, fromArgs.item<float>(), 6);
    }

    [Fact]
    public void Label_smoothing_outside_zero_to_one_is_refused_by_name()
    {
#pragma warning disable DSL038 // the run-time check that DSL038 reports at compile time
        var e = Assert.Throws<ArgumentException>(() => (Args.Quiet("out") with { LabelSmoothingFactor = 1.5 }).Validate());
#pragma warning restore DSL038
        Assert.Contains("LabelSmoothingFactor is 1.5", e.Message);
        using var logits = zeros(2, 3);
        using var labels = zeros(2, dtype: int64);
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.CrossEntropy(logits, labels, -0.1));
        Assert.Contains("one dimension less", Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(logits, logits, 0.1)).Message);
    }

    [Fact]
    public void Label_smoothing_leaves_no_tensor_behind_but_its_result()
    {
        using var logits = tensor(new float[] { 1, 2, 3, 0, 0, 5 }).reshape(2, 3);
        using var labels = tensor(new long[] { 2, 1 });
        using var own = OwnTensors.Start();
        using (var loss = Losses.CrossEntropy(logits, labels, 0.1)) Assert.Equal(1, own.Live);
    }
}
