using Dsl.__Internals;
using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Loop;

/// <summary>
/// Predictions whose length differs between batches (token classification, dynamic padding): HF's
/// <c>nested_concat</c> pads them with -100 (test_trainer.py <c>test_dynamic_shapes</c>), also when they move
/// to the CPU every <c>eval_accumulation_steps</c>; and <c>batch_eval_metrics</c>
/// (<c>test_evaluate_with_batch_eval_metrics</c>, <c>test_predict_with_batch_eval_metrics</c>).
/// </summary>
[Collection(TorchState.Name)]
public sealed class DynamicShapesTests
{
    // Batches of 4 examples sharing a length, as HF's DynamicShapesDataset: 3, 5, 2, then 4 tokens.
    private static List<TokenExample> Data()
    {
        var random = new Random(3);
        var examples = new List<TokenExample>();
        foreach (int length in new[] { 3, 5, 2, 4 })
            for (int i = 0; i < 4; i++)
            {
                var features = new float[length * 4];
                for (int j = 0; j < features.Length; j++) features[j] = (float)(random.NextDouble() * 2 - 1);
                var labels = new long[length];
                for (int j = 0; j < length; j++) labels[j] = random.Next(3);
                examples.Add(new TokenExample(features, labels));
            }
        return examples;
    }

    // No collation ahead on a background thread: the live tensor counts below would include its batches.
    private static TrainingArguments Evaluating(string dir) => Args.Quiet(dir) with { PerDeviceEvalBatchSize = 4, DataloaderPrefetchFactor = 0 };

    private static void AssertPaddedAsHF(TokenTagger model, List<TokenExample> data, PredictionOutput output)
    {
        Assert.Equal([16L, 5, 3], output.Predictions!.shape);
        Assert.Equal([16L, 5], output.LabelIds!.shape);
        for (int i = 0; i < data.Count; i++)
        {
            int length = data[i].Labels.Length;
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var expected = model.forward(torch.tensor(data[i].Features, [length, 4]));
            var seen = output.Predictions[i];
            Assert.True(seen.narrow(0, 0, length).allclose(expected, atol: 1e-6), $"example {i}: logits differ");
            Assert.True(seen.narrow(0, length, 5 - length).eq(-100).all().item<bool>(), $"example {i}: padding is not -100");
            Assert.Equal(data[i].Labels, output.LabelIds[i].narrow(0, 0, length).data<long>().ToArray());
            Assert.True(output.LabelIds[i].narrow(0, length, 5 - length).eq(-100).all().item<bool>());
        }
    }

    [Fact]
    public void DynamicShapes_Predict_pads_predictions_and_labels_with_minus_100()
    {
        using var temp = new TempDirectory();
        var model = TokenTagger.Create();
        var data = Data();
        using var output = new TaggerTrainer(model, Evaluating(temp.Path)).Predict(data);
        AssertPaddedAsHF(model, data, output);
    }

    [Fact]
    public void DynamicShapes_with_EvalAccumulationSteps_pads_across_the_moves_to_the_CPU()
    {
        using var temp = new TempDirectory();
        var model = TokenTagger.Create();
        var data = Data();
        using var own = OwnTensors.Start();
        var trainer = new TaggerTrainer(model, Evaluating(temp.Path) with { EvalAccumulationSteps = 2 });
        using var output = trainer.Predict(data);
        AssertPaddedAsHF(model, data, output);

        // Moved to the CPU after the second batch: its two joined tensors stay instead of two batches' four.
        var plain = new TaggerTrainer(model, Evaluating(temp.Path));
        using (plain.Predict(data)) { }
        Assert.Equal(4, plain.LiveTensorsPerEvalBatch[3] - plain.LiveTensorsPerEvalBatch[1]);
        Assert.Equal(2, trainer.LiveTensorsPerEvalBatch[3] - trainer.LiveTensorsPerEvalBatch[1]);
    }

    [Fact]
    public void DynamicShapes_Evaluate_computes_metrics_over_padded_logits()
    {
        using var temp = new TempDirectory();
        var result = new TaggerTrainer(TokenTagger.Create(), Evaluating(temp.Path)).Evaluate(Data());
        Assert.InRange(result["eval_first_token_accuracy"], 0.0, 1.0);
        double right = result["eval_first_token_accuracy"] * 16;
        Assert.Equal(Math.Round(right), right, 6);   // a whole number of the 16 examples
    }

    [Fact]
    public void Evaluate_with_batch_eval_metrics_averages_per_batch_and_keeps_no_logits()
    {
        using var temp = new TempDirectory();
        var model = TokenTagger.Create();
        using var own = OwnTensors.Start();
        var whole = new TaggerTrainer(model, Evaluating(temp.Path));
        var wholeResult = whole.Evaluate(Data());
        var batched = new TaggerTrainer(model, Evaluating(temp.Path) with { BatchEvalMetrics = true });
        var batchedResult = batched.Evaluate(Data());

        // A mean over examples: the batch-size-weighted mean of batch means is the same number.
        Assert.Equal(wholeResult["eval_first_token_accuracy"], batchedResult["eval_first_token_accuracy"], 6);
        Assert.Equal(wholeResult["eval_loss"], batchedResult["eval_loss"], 6);
        Assert.Equal(4, batched.MetricCalls);   // once per batch, not once over the set
        // No logits kept between batches: the live tensor count does not grow (from the second batch, after the loss sum exists).
        Assert.Equal(batched.LiveTensorsPerEvalBatch[1], batched.LiveTensorsPerEvalBatch[3]);
        Assert.Equal(4, whole.LiveTensorsPerEvalBatch[3] - whole.LiveTensorsPerEvalBatch[1]);
    }

    [Fact]
    public void Predict_with_batch_eval_metrics_still_returns_every_prediction()
    {
        using var temp = new TempDirectory();
        var model = TokenTagger.Create();
        var data = Data();
        var trainer = new TaggerTrainer(model, Evaluating(temp.Path) with { BatchEvalMetrics = true });
        using var output = trainer.Predict(data);
        AssertPaddedAsHF(model, data, output);
        Assert.True(output.Metrics.ContainsKey("test_first_token_accuracy"));
        Assert.Equal(4, trainer.MetricCalls);
    }

    [Fact]
    public void Nested_concat_pads_the_second_dimension_only_and_names_other_mismatches()
    {
        using var scope = torch.NewDisposeScope();
        var joined = PaddedConcatenation.Concatenate([torch.ones(2, 3), torch.zeros(1, 5)], "logits", "T.Step");
        Assert.Equal([3L, 5], joined.shape);
        Assert.Equal([1f, 1, 1, -100, -100], joined[0].data<float>().ToArray());
        Assert.Equal([0f, 0, 0, 0, 0], joined[2].data<float>().ToArray());
        Assert.Equal([5L], PaddedConcatenation.Concatenate([torch.ones(2), torch.ones(3)], "labels", "T.Step").shape);

        var e = Assert.Throws<InvalidOperationException>(() =>
            PaddedConcatenation.Concatenate([torch.ones(2, 3, 4), torch.ones(2, 3, 5)], "logits", "T.Step"));
        Assert.Contains("T.Step returned logits of shapes [2, 3, 4] and [2, 3, 5]", e.Message);
    }

    [Fact]
    public void EvalAccumulationSteps_of_zero_is_refused_by_Validate()
    {
#pragma warning disable DSL038 // the run-time check that DSL038 reports at compile time
        var e = Assert.Throws<ArgumentException>(() => new TrainingArguments { EvalAccumulationSteps = 0 }.Validate());
#pragma warning restore DSL038
        Assert.Contains("EvalAccumulationSteps", e.Message);
    }
}

/// <summary>A sequence of tokens with four features each, and a class per token.</summary>
public sealed record TokenExample(float[] Features, long[] Labels);

/// <summary>Dynamic padding: each batch padded to its longest example (features 0, labels -100).</summary>
public sealed class TokenBatch(Tensor x, Tensor y) : IBatch<TokenBatch, TokenExample>
{
    public Tensor X { get; } = x;
    public Tensor Y { get; } = y;

    public static TokenBatch Collate(ReadOnlySpan<TokenExample> examples, Device device)
    {
        OwnTensors.Enlist();
        int longest = 0;
        foreach (var e in examples) longest = Math.Max(longest, e.Labels.Length);
        var x = new float[examples.Length * longest * 4];
        var y = new long[examples.Length * longest];
        Array.Fill(y, -100);
        for (int i = 0; i < examples.Length; i++)
        {
            examples[i].Features.CopyTo(x, i * longest * 4);
            examples[i].Labels.CopyTo(y, i * longest);
        }
        return new TokenBatch(
            Dsl.Data.Collation.Float32(x, [examples.Length, longest, 4], device),
            Dsl.Data.Collation.Int64(y, [examples.Length, longest], device));
    }

    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
    }
}

/// <summary>A linear tagger: four features to three classes, per token.</summary>
public sealed class TokenTagger : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear fc;

    private TokenTagger() : base(nameof(TokenTagger))
    {
        fc = nn.Linear(4, 3);
        RegisterComponents();
    }

    public static TokenTagger Create()
    {
        torch.manual_seed(5);
        return new TokenTagger();
    }

    public override Tensor forward(Tensor x) => fc.forward(x);
}

[Trainer]
public partial class TaggerTrainer(TokenTagger model, TrainingArguments args)
{
    public List<long> LiveTensorsPerEvalBatch { get; } = [];
    public int MetricCalls { get; private set; }

    [TrainStep]
    StepOutput Step(TokenBatch batch)
    {
        LiveTensorsPerEvalBatch.Add(OwnTensors.Current?.Live ?? torch.Tensor.TotalCount);
        var logits = model.forward(batch.X);
        var loss = nn.functional.cross_entropy(logits.reshape(-1, 3), batch.Y.reshape(-1), ignore_index: -100);
        return new StepOutput(loss, logits, batch.Y);
    }

    /// <summary>Whether each example's first token is tagged right: a mean over examples.</summary>
    [Metric]
    double FirstTokenAccuracy(Tensor predictions, Tensor labels)
    {
        MetricCalls++;
        return predictions.select(1, 0).argmax(-1).eq(labels.select(1, 0)).to(ScalarType.Float32).mean().item<float>();
    }
}
