using Dsl.Checkpoints;
using Dsl.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsl.Tests.Loop;

/// <summary>
/// <c>num_input_tokens_seen</c> (HF's <c>include_num_input_tokens_seen</c>: the main input's numel, every
/// micro-batch) and <c>total_flos</c> (HF's <c>floating_point_ops</c>: 6 × non-embedding parameters × tokens,
/// in trainer_state.json and the train metrics) for batches that implement <see cref="ITokenBatch"/>.
/// </summary>
[Collection(TorchState.Name)]
public sealed class TokenCountTests
{
    private const long TinyNetParameters = 4 * 16 + 16 + 16 + 16 + 16 * 2 + 2;   // fc1, LayerNorm, fc2: no embeddings

    // 18 examples in batches of 4 (4 features each): 4 full batches and one of 2, so 72 tokens an epoch.
    private static TrainingArguments Counting(string dir) => Args.Quiet(dir) with
    {
        IncludeNumInputTokensSeen = true, PerDeviceTrainBatchSize = 4, GradientAccumulationSteps = 2, LoggingSteps = 1,
        SaveStrategy = SaveStrategy.Steps, SaveSteps = 2,
    };

    [Fact]
    public void IncludeNumInputTokensSeen_counts_every_micro_batch_and_logs_the_running_count()
    {
        using var temp = new TempDirectory();
        var trainer = new TokenTrainer(TinyNet.Create(), Counting(temp.Path));
        trainer.Train(SampleData.Make(18));

        Assert.Equal(72, trainer.State.NumInputTokensSeen);
        // Steps are windows of two micro-batches: 32, 64, then the short last window (one batch of 2 examples).
        var logged = trainer.State.LogHistory.Where(e => e.ContainsKey("loss")).Select(e => e["num_input_tokens_seen"]);
        Assert.Equal([32.0, 64.0, 72.0], logged);
        Assert.Equal(72.0, trainer.State.LogHistory[^1]["num_input_tokens_seen"]);   // the summary too, as HF's log()
        var saved = TrainerState.Load(Path.Combine(Checkpoint.PathFor(temp.Path, 2), Checkpoint.StateFile));
        Assert.Equal(64, saved.NumInputTokensSeen);
    }

    [Fact]
    public void Total_flos_is_six_times_the_non_embedding_parameters_times_the_tokens()
    {
        using var temp = new TempDirectory();
        var trainer = new TokenTrainer(TinyNet.Create(), Counting(temp.Path) with { IncludeNumInputTokensSeen = false });
        var output = trainer.Train(SampleData.Make(18));

        double expected = 6.0 * TinyNetParameters * 72;
        Assert.Equal(expected, trainer.State.TotalFlos);
        Assert.Equal(expected, output.Metrics["total_flos"]);
        Assert.Equal(0, trainer.State.NumInputTokensSeen);   // counted only when asked, as HF
        Assert.DoesNotContain(trainer.State.LogHistory, e => e.ContainsKey("num_input_tokens_seen"));
        var saved = TrainerState.Load(Path.Combine(Checkpoint.PathFor(temp.Path, 2), Checkpoint.StateFile));
        Assert.Equal(6.0 * TinyNetParameters * 64, saved.TotalFlos);
    }

    [Fact]
    public void Total_flos_leaves_out_embedding_parameters_as_HFs_num_parameters_exclude_embeddings()
    {
        var model = new EmbeddingNet();
        long all = model.parameters().Sum(p => p.numel());
        Assert.Equal(all - 10 * 4, Dsl.Training.TokenCounter.NonEmbeddingParameters(model));
    }

    [Fact]
    public void Total_flos_uses_the_models_own_estimate_when_it_has_one()
    {
        using var temp = new TempDirectory();
        var trainer = new OwnFlopsTrainer(new OwnFlopsNet(), Counting(temp.Path));
        trainer.Train(SampleData.Make(18));
        Assert.Equal(1000.0 * 72, trainer.State.TotalFlos);
    }

    [Fact]
    public void Total_flos_is_zero_in_the_train_metrics_when_batches_do_not_count_tokens()
    {
        using var temp = new TempDirectory();
        var output = new DefaultsTrainer(TinyNet.Create(), Args.Quiet(temp.Path)).Train(SampleData.Make(16));
        Assert.Equal(0.0, output.Metrics["total_flos"]);
    }

    [Fact]
    public void IncludeNumInputTokensSeen_with_a_batch_that_cannot_count_is_refused_naming_the_batch_type()
    {
        using var temp = new TempDirectory();
        var trainer = new DefaultsTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { IncludeNumInputTokensSeen = true });
        var e = Assert.Throws<ArgumentException>(() => trainer.Train(SampleData.Make(16)));
        Assert.Contains("SampleBatch does not implement Dsl.ITokenBatch", e.Message);
    }

    [Fact]
    public void Num_input_tokens_seen_and_total_flos_continue_from_the_checkpoint_on_resume()
    {
        using var temp = new TempDirectory();
        var args = Counting(temp.Path) with { NumTrainEpochs = 2 };
        var full = new TokenTrainer(TinyNet.Create(), args);
        full.Train(SampleData.Make(18));

        var resumed = new TokenTrainer(TinyNet.Create(), args);
        resumed.Train(SampleData.Make(18), resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, 4));
        Assert.Equal(144, full.State.NumInputTokensSeen);
        Assert.Equal(full.State.NumInputTokensSeen, resumed.State.NumInputTokensSeen);
        Assert.Equal(full.State.TotalFlos, resumed.State.TotalFlos);
    }
}

/// <summary>A <see cref="SampleBatch"/> that counts its inputs' elements as tokens.</summary>
public sealed class CountedBatch(SampleBatch inner) : IBatch<CountedBatch, Sample>, ITokenBatch
{
    public Tensor X => inner.X;
    public Tensor Y => inner.Y;
    public long InputTokens => inner.X.numel();
    public static CountedBatch Collate(ReadOnlySpan<Sample> samples, Device device) => new(SampleBatch.Collate(samples, device));
    public void Dispose() => inner.Dispose();
}

[Trainer]
public partial class TokenTrainer(TinyNet model, TrainingArguments args)
{
    [TrainStep]
    Tensor Step(CountedBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
}

/// <summary>A model with its own operation count: 1,000 per token.</summary>
public sealed class OwnFlopsNet : nn.Module<Tensor, Tensor>, IFloatingPointOps
{
    private readonly TorchSharp.Modules.Linear fc;

    public OwnFlopsNet() : base(nameof(OwnFlopsNet))
    {
        fc = nn.Linear(4, 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc.forward(x);

    public double FloatingPointOps(long inputTokens) => 1000.0 * inputTokens;
}

[Trainer]
public partial class OwnFlopsTrainer(OwnFlopsNet model, TrainingArguments args)
{
    [TrainStep]
    Tensor Step(CountedBatch batch) => nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
}

/// <summary>An embedding (10 × 4, left out of the count) under a linear head.</summary>
public sealed class EmbeddingNet : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Embedding embed;
    private readonly TorchSharp.Modules.Linear head;

    public EmbeddingNet() : base(nameof(EmbeddingNet))
    {
        embed = nn.Embedding(10, 4);
        head = nn.Linear(4, 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => head.forward(embed.forward(x));
}
