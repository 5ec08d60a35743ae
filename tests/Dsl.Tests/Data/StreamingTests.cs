using System.Collections;
using Dsl.Checkpoints;
using Dsl.Data;
using Dsl.Tests.Support;

namespace Dsl.Tests.Data;

/// <summary>
/// A training dataset given as a stream (IEnumerable) behaves as HF's IterableDataset in
/// transformers' Trainer: max_steps is required, each pass over the stream is one epoch, the stream
/// is read again when it runs out, and a resumed run skips what it had consumed.
/// </summary>
[Collection(TorchState.Name)]
public sealed class StreamingTests
{
    /// <summary>Yields its samples in order each time it is enumerated, recording passes and reading threads.</summary>
    private sealed class Stream(IReadOnlyList<Sample> samples, bool oneShot = false) : IEnumerable<Sample>
    {
        public int Passes { get; private set; }
        public HashSet<int> ReadingThreads { get; } = [];

        public IEnumerator<Sample> GetEnumerator()
        {
            Passes++;
            if (oneShot && Passes > 1) yield break;   // HF's FiniteIterableDataset: exhausted after one pass
            foreach (var sample in samples)
            {
                lock (ReadingThreads) ReadingThreads.Add(Environment.CurrentManagedThreadId);
                yield return sample;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public void A_stream_without_MaxSteps_is_refused_as_HF_refuses_a_dataloader_without_length()
    {
        // HF trainer.py (_inner_training_loop): "args.max_steps must be set to a positive value if
        // dataloader does not have a length".
        using var temp = new TempDirectory();
        var trainer = new ParityTrainer(TinyNet.Create(), Args.Quiet(temp.Path));
        var e = Assert.Throws<ArgumentException>(() => trainer.Train(new Stream(SampleData.Make(16))));
        Assert.Contains("TrainingArguments.MaxSteps is -1", e.Message);
        Assert.Contains("stream", e.Message);
    }

    [Fact]
    public void A_stream_trains_MaxSteps_steps()
    {
        // HF test_trainer.py test_training_iterable_dataset: max_steps=4 gives global_step 4.
        using var temp = new TempDirectory();
        var trainer = new ParityTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { MaxSteps = 4 });
        Assert.Equal(4, trainer.Train(new Stream(SampleData.Make(64))).GlobalStep);
        Assert.Equal(4, trainer.Losses.Count);
    }

    [Fact]
    public void A_stream_restarts_when_exhausted_and_each_pass_is_an_epoch()
    {
        using var temp = new TempDirectory();
        var stream = new Stream(SampleData.Make(20));   // batches of 8, 8 and 4 per pass
        var trainer = new HookTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { MaxSteps = 7 });
        var output = trainer.Train(stream);

        Assert.Equal(7, output.GlobalStep);
        Assert.Equal(3, stream.Passes);   // 3 + 3 + 1 steps
        Assert.Equal(["EpochEnd:0", "EpochEnd:1", "EpochEnd:2"], trainer.Events.Where(e => e.StartsWith("EpochEnd")));
        // HF: epoch = pass + (batches read in the pass) / (max_steps × GA): one batch into the third pass.
        Assert.Equal(2 + 1.0 / 7, trainer.State.Epoch, 12);
        Assert.Equal(int.MaxValue, trainer.State.NumTrainEpochs);   // HF: sys.maxsize
    }

    [Fact]
    public void A_stream_trains_in_stream_order_on_the_same_batches_a_hand_loop_would_take()
    {
        using var temp = new TempDirectory();
        var data = SampleData.Make(24);
        var streamed = new ParityTrainer(TinyNet.Create(seed: 3, dropoutRate: 0), Args.Quiet(temp.Path) with { MaxSteps = 3 });
        streamed.Train(new Stream(data));

        // The same three batches, in order, through the same model: identical losses.
        var model = TinyNet.Create(seed: 3, dropoutRate: 0);
        var optimizer = TorchSharp.torch.optim.AdamW(model.parameters(), lr: 1e-2);
        var schedule = Schedules.Linear(optimizer, 0, 3);
        var losses = new List<float>();
        for (int b = 0; b < 3; b++)
        {
            using var batch = SampleBatch.Collate(data.Skip(8 * b).Take(8).ToArray(), TorchSharp.torch.CPU);
            using var loss = TorchSharp.torch.nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
            losses.Add(loss.item<float>());
            loss.backward();
            TorchSharp.torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.step();
            schedule.step();
            model.zero_grad();
        }
        Assert.Equal(losses, streamed.Losses);
    }

    [Fact]
    public void A_short_window_at_the_end_of_a_pass_takes_an_optimizer_step()
    {
        using var temp = new TempDirectory();
        var stream = new Stream(SampleData.Make(20));   // 3 batches a pass; GA 2: windows of 2 and 1
        var trainer = new ParityTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { MaxSteps = 4, GradientAccumulationSteps = 2 });
        trainer.Train(stream);

        Assert.Equal(4, trainer.State.GlobalStep);
        Assert.Equal(2, stream.Passes);
        Assert.Equal(6, trainer.Losses.Count);   // every batch of both passes trained
    }

    [Fact]
    public void A_finite_one_shot_stream_stops_training_with_a_warning_when_a_pass_is_empty()
    {
        // HF test_trainer.py test_training_finite_iterable_dataset: global_step stops at the available steps.
        using var temp = new TempDirectory();
        var stream = new Stream(SampleData.Make(16), oneShot: true);
        var trainer = new HookTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { MaxSteps = 10, ReportTo = ["jsonl"] });
        var errors = new StringWriter();
        var previous = Console.Error;
        Console.SetError(errors);
        try { trainer.Train(stream); }
        finally { Console.SetError(previous); }

        Assert.Contains("stopping training at step 2 of 10", errors.ToString());

        Assert.Equal(2, trainer.State.GlobalStep);
        Assert.Contains("EpochEnd:1", trainer.Events);   // HF ends the empty epoch, then stops
        Assert.Equal(2, stream.Passes);
    }

    [Fact]
    public void DataloaderDropLast_drops_the_short_last_batch_of_each_pass()
    {
        using var temp = new TempDirectory();
        var stream = new Stream(SampleData.Make(20));   // 8, 8 and a dropped 4
        var trainer = new HookTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { MaxSteps = 5, DataloaderDropLast = true });
        trainer.Train(stream);
        Assert.Equal(3, stream.Passes);   // 2 + 2 + 1 steps
        Assert.Equal(["EpochEnd:0", "EpochEnd:1", "EpochEnd:2"], trainer.Events.Where(e => e.StartsWith("EpochEnd")));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void A_stream_is_read_and_collated_on_a_background_thread_unless_prefetch_is_zero(int prefetch)
    {
        using var temp = new TempDirectory();
        var stream = new Stream(SampleData.Make(16));
        var trainer = new ParityTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { MaxSteps = 2, DataloaderPrefetchFactor = prefetch });
        trainer.Train(stream);

        if (prefetch > 0) Assert.DoesNotContain(Environment.CurrentManagedThreadId, stream.ReadingThreads);
        else Assert.Equal([Environment.CurrentManagedThreadId], stream.ReadingThreads);
    }

    [Theory]
    [InlineData(1, 2, 5)]   // in the first pass
    [InlineData(1, 4, 3)]   // in the second pass: HF would skip 4 batches from the stream's start
    [InlineData(1, 3, 4)]   // at the end of the first pass, before its epoch end
    [InlineData(2, 3, 6)]   // with gradient accumulation (windows of 2 and 1 a pass), in the second pass
    public void Resuming_a_stream_skips_what_its_pass_had_consumed_and_ends_like_the_full_run(int ga, int k, int batchesLeft)
    {
        using var temp = new TempDirectory();
        var data = SampleData.Make(20);   // 3 batches a pass
        var args = Args.Quiet(temp.Path) with
        {
            MaxSteps = 7, GradientAccumulationSteps = ga, SaveStrategy = SaveStrategy.Steps, SaveSteps = k, LoggingSteps = 1,
        };

        var fullModel = TinyNet.Create(seed: 4);
        var full = new ParityTrainer(fullModel, args);
        full.Train(new Stream(data));

        var resumedModel = TinyNet.Create(seed: 11);
        var resumed = new ParityTrainer(resumedModel, args);
        resumed.Train(new Stream(data), resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, k));

        Assert.Equal(batchesLeft, resumed.Losses.Count);
        Assert.Equal(full.Losses.Skip(full.Losses.Count - batchesLeft), resumed.Losses);
        Assert.Equal(7, resumed.State.GlobalStep);
        Assert.Equal(full.State.Epoch, resumed.State.Epoch, 12);
        var expected = fullModel.Snapshot();
        foreach (var (name, values) in resumedModel.Snapshot()) Assert.Equal(expected[name], values);
    }

    [Fact]
    public void Resuming_a_stream_from_an_epoch_end_checkpoint_starts_the_next_pass()
    {
        using var temp = new TempDirectory();
        var data = SampleData.Make(20);   // 3 batches a pass
        var args = Args.Quiet(temp.Path) with { MaxSteps = 7, SaveStrategy = SaveStrategy.Epoch, LoggingSteps = 1 };
        var fullModel = TinyNet.Create(seed: 4);
        var full = new ParityTrainer(fullModel, args);
        full.Train(new Stream(data));

        // checkpoint-3 was written when the first pass ran out: its epoch is whole.
        Assert.Equal(1.0, TrainerState.Load(Path.Combine(Checkpoint.PathFor(temp.Path, 3), Checkpoint.StateFile)).Epoch);
        var resumedModel = TinyNet.Create(seed: 11);
        var resumed = new ParityTrainer(resumedModel, args);
        var stream = new Stream(data);
        resumed.Train(stream, resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, 3));

        Assert.Equal(4, resumed.Losses.Count);   // passes 2 and 3: nothing of pass 1 read again
        Assert.Equal(2, stream.Passes);
        Assert.Equal(full.Losses.Skip(3), resumed.Losses);
        var expected = fullModel.Snapshot();
        foreach (var (name, values) in resumedModel.Snapshot()) Assert.Equal(expected[name], values);
    }

    [Fact]
    public void Resuming_a_stream_with_a_larger_MaxSteps_skips_by_the_checkpoints_own_count()
    {
        using var temp = new TempDirectory();
        var data = SampleData.Make(20);   // 3 batches a pass
        var args = Args.Quiet(temp.Path) with { MaxSteps = 5, SaveStrategy = SaveStrategy.Steps, SaveSteps = 5 };
        new ParityTrainer(TinyNet.Create(seed: 4), args).Train(new Stream(data));   // ends 2 batches into pass 2

        var resumed = new ParityTrainer(TinyNet.Create(seed: 11), args with { MaxSteps = 9 });
        var stream = new Stream(data);
        resumed.Train(stream, resumeFromCheckpoint: Checkpoint.PathFor(temp.Path, 5));
        Assert.Equal(4, resumed.Losses.Count);   // 1 batch left in pass 2, then 3 of pass 3
        Assert.Equal(2, stream.Passes);
        Assert.Equal(2 + 3.0 / 9, resumed.State.Epoch, 12);
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 3)]
    [InlineData(0, 3)]
    public void A_stream_leaves_no_tensor_behind_and_live_tensors_stay_bounded(int prefetch, int ga)
    {
        using var temp = new TempDirectory();
        var args = Args.Quiet(temp.Path) with
        {
            MaxSteps = 40, PerDeviceTrainBatchSize = 4, DataloaderPrefetchFactor = prefetch, GradientAccumulationSteps = ga,
        };
        var trainer = new HookTrainer(TinyNet.Create(), args);
        // Only this test's tensors: those of this thread and of the thread that collates its batches, whatever the
        // finalizer frees of other tests' tensors meanwhile (the process-wide TotalCount made this test flaky).
        using var own = OwnTensors.Start();
        trainer.Train(new Stream(SampleData.Make(50)));   // 13 batches a pass, the last short: passes end mid-window
        var counts = trainer.LiveTensorsAtStepEnd.Skip(5).ToList();
        // At most the ring, the batch being collated and the rest of a window, of 2 tensors each.
        int allowed = 2 * (prefetch + 1 + ga);
        int low = counts.IndexOf(counts.Min()), high = counts.IndexOf(counts.Max());
        Assert.True(counts[high] - counts[low] <= allowed,
            $"This test's live tensors at step end grew by {counts[high] - counts[low]} (at most {allowed} may wait in the ring and the window): " +
            $"{counts[low]} at step {low + 6}, {counts[high]} at step {high + 6}. At each step end from step 6: {string.Join(",", counts)}");
        Assert.True(own.Live == 0, $"Train left {own.Live} of this test's tensors alive (by thread: {own.ByThread()})");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void A_failing_stream_is_reported_with_the_example_it_failed_at(int prefetch)
    {
        static IEnumerable<Sample> Broken(IReadOnlyList<Sample> samples)
        {
            for (int i = 0; i < samples.Count; i++)
            {
                if (i == 11) throw new IOException("disk gone");
                yield return samples[i];
            }
        }

        using var temp = new TempDirectory();
        var trainer = new ParityTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { MaxSteps = 5, DataloaderPrefetchFactor = prefetch });
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Train(Broken(SampleData.Make(40))));
        Assert.Contains("training stream failed at example 11", e.Message);
        Assert.Contains("disk gone", e.Message);
        Assert.IsType<IOException>(e.InnerException);
    }

    [Fact]
    public void A_streams_event_flow_has_HFs_step_begin_and_substep_end_per_window_and_an_epoch_per_pass()
    {
        using var temp = new TempDirectory();
        // 5 batches a pass, GA 2: windows [0 1] [2 3] [4], the short one at the end of the pass steps too.
        var args = Args.Quiet(temp.Path) with { GradientAccumulationSteps = 2, PerDeviceTrainBatchSize = 4, MaxSteps = 4 };
        var trainer = new Dsl.Tests.Loop.HookPointTrainer(TinyNet.Create(), args);
        trainer.Train(new Stream(SampleData.Make(20)));

        Assert.Equal(
        [
            "TrainBegin:0", "EpochBegin:0",
            "StepBegin:0", "SubstepEnd:0", "PreOptimizerStep:0", "OptimizerStep:0", "StepEnd:1",
            "StepBegin:1", "SubstepEnd:1", "PreOptimizerStep:1", "OptimizerStep:1", "StepEnd:2",
            "StepBegin:2", "PreOptimizerStep:2", "OptimizerStep:2", "StepEnd:3",
            "EpochEnd:0", "EpochBegin:1",
            "StepBegin:3", "SubstepEnd:3", "PreOptimizerStep:3", "OptimizerStep:3", "StepEnd:4",
            "EpochEnd:1", "Log:4:train_runtime", "TrainEnd",
        ], trainer.Events);
    }

    [Fact]
    public void An_async_stream_trains_through_the_blocking_adapter()
    {
        static async IAsyncEnumerable<Sample> Produce(IReadOnlyList<Sample> samples)
        {
            foreach (var sample in samples)
            {
                await Task.Yield();
                yield return sample;
            }
        }

        using var temp = new TempDirectory();
        var trainer = new ParityTrainer(TinyNet.Create(), Args.Quiet(temp.Path) with { MaxSteps = 3 });
        trainer.Train(DataStreams.FromAsync(Produce(SampleData.Make(16))));
        Assert.Equal(3, trainer.State.GlobalStep);
        Assert.Equal(3, trainer.Losses.Count);
    }
}
