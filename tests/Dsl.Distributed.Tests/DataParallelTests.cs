using System.Text.Json.Nodes;
using Dsl.Distributed.Tests.Launching;
using Dsl.Tests.Support;
using static Dsl.Distributed.Tests.Launching.Results;

namespace Dsl.Distributed.Tests;

/// <summary>
/// The generated loop under <c>mpirun -np 2</c> on this host (tests/Dsl.Tests.MpiWorker), with MPICH and with
/// Open MPI: DDP's semantics, so two ranks with batch B train exactly as one process with batch 2B; faults end
/// the job with a clear error.
/// </summary>
public sealed class DataParallelTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [EachMpiTheory]
    [InlineData(Mpi.Mpich, 1, 16, 8, 25)]       // 320 examples: 20 steps of 16 = 2 ranks × 8; one bucket; rank 1 initialised differently
    [InlineData(Mpi.Mpich, 2, 8, 4, 0.0005)]    // gradient accumulation: 20 steps of 2 × 8 = 2 ranks × 2 × 4; buckets of at most 524 bytes (4)
    [InlineData(Mpi.OpenMpi, 2, 8, 4, 0.0005)]
    public void Two_ranks_with_batch_B_train_as_one_process_with_batch_2B(Mpi mpi, int accumulation, int singleBatch, int rankBatch, double bucketMb)
    {
        var single = MpiJob.Run(1, _temp["single"], $"--batch {singleBatch} --ga {accumulation}");
        // Rank 1 starts from other weights when accumulation is 1: rank 0's must be broadcast before the first step.
        string seeds = accumulation == 1 ? " --seed-by-rank 1" : "";
        var job = MpiJob.Run(2, _temp["ranks"], $"--batch {rankBatch} --ga {accumulation} --bucket-mb {bucketMb}{seeds}", mpi: mpi);
        Assert.True(single.ExitCode == 0, single.Output);
        Assert.True(job.ExitCode == 0, job.Output);
        JsonObject one = single.Rank(0), rank0 = job.Rank(0), rank1 = job.Rank(1);

        Assert.Equal(2, rank0["world_size"]!.GetValue<int>());
        Assert.True(rank0["is_world_process_zero"]!.GetValue<bool>());
        Assert.False(rank1["is_world_process_zero"]!.GetValue<bool>());
        Assert.True(one["is_world_process_zero"]!.GetValue<bool>());
        // HF logs the loss averaged over ranks, and the norm of the averaged gradients.
        AssertTrainedAlike(one, rank0, steps: 20);
        // Both ranks hold the same model after every step (DDP's invariant).
        AssertSameWeights(rank0, rank1, 0);
        // Per step: the gradients of the 482 float32 parameters once with the stop request (one float32), and the logged
        // loss (a double; logged every step here); once per run: train_loss.
        Assert.Equal((20 * (482 * 4 + 4 + 8) + 8) / 20.0, rank0["bytes_allreduced_per_step"]!.GetValue<double>(), 1e-9);
    }

    [MpiFact]
    public void Evaluation_on_two_ranks_gives_the_same_metrics_as_one()
    {
        // 50 examples in batches of 8: 7 batches, 4 on rank 0 and 3 on rank 1, the last one short.
        var single = MpiJob.Run(1, _temp["single"], "--batch 16 --max-steps 3 --eval-examples 50 --eval-batch 8");
        var job = MpiJob.Run(2, _temp["ranks"], "--batch 8 --max-steps 3 --eval-examples 50 --eval-batch 8");
        Assert.True(job.ExitCode == 0, job.Output);
        var expected = single.Rank(0)["eval"]!.AsObject();
        foreach (int rank in new[] { 0, 1 })
        {
            var actual = job.Rank(rank)["eval"]!.AsObject();
            Assert.Equal(expected["eval_loss"]!.GetValue<double>(), actual["eval_loss"]!.GetValue<double>(), 1e-6);
            Assert.Equal(expected["eval_accuracy"]!.GetValue<double>(), actual["eval_accuracy"]!.GetValue<double>());
            Assert.Equal(expected["epoch"]!.GetValue<double>(), actual["epoch"]!.GetValue<double>());
        }
        // Predict gathers every example's logits and labels back in dataset order.
        var labels = single.Rank(0)["label_ids"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray();
        var logits = single.Rank(0)["predictions"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.Equal(50, labels.Length);
        foreach (int rank in new[] { 0, 1 })
        {
            Assert.Equal(labels, job.Rank(rank)["label_ids"]!.AsArray().Select(v => v!.GetValue<long>()));
            var gathered = job.Rank(rank)["predictions"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            Assert.Equal(logits.Length, gathered.Length);
            for (int i = 0; i < logits.Length; i++) Assert.Equal(logits[i], gathered[i], 1e-5);
        }
    }

    [EachMpiTheory]
    [InlineData(Mpi.Mpich, "--die-at-step 5", "rank 1 of 2 is exiting with code 3; ending the other ranks.")]   // Environment.Exit(3)
    [InlineData(Mpi.Mpich, "--throw-at-step 5", "Unhandled exception. System.InvalidOperationException: rank 1: a bug on purpose after step 5")]
    [InlineData(Mpi.OpenMpi, "--die-at-step 5", "rank 1 of 2 is exiting with code 3; ending the other ranks.")]
    [InlineData(Mpi.OpenMpi, "--throw-at-step 5", "Unhandled exception. System.InvalidOperationException: rank 1: a bug on purpose after step 5")]
    // MPI libraries install signal handlers (UCX's for SIGSEGV) that would turn .NET's NullReferenceException into a crash.
    [InlineData(Mpi.Mpich, "--null-at-step 5", "Unhandled exception. System.NullReferenceException")]
    [InlineData(Mpi.OpenMpi, "--null-at-step 5", "Unhandled exception. System.NullReferenceException")]
    public void A_rank_that_dies_ends_every_rank_with_a_message(Mpi mpi, string fault, string message)
    {
        // DdpTimeout stays at its default (30 minutes): the job must end long before, because of the death itself.
        var job = MpiJob.Run(2, _temp["ranks"], "--batch 8 " + fault, timeoutSeconds: 240, mpi: mpi);
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains(message, job.Output);
        Assert.False(File.Exists(_temp["ranks/rank-0.json"]), "rank 0 finished training without rank 1");
        Assert.True(job.Elapsed < TimeSpan.FromSeconds(120), $"the job took {job.Elapsed} to end");
    }

    [MpiFact]
    public void A_rank_that_hangs_is_found_by_the_timeout_and_every_rank_stops()
    {
        // 10 s, not less: on a loaded machine rank 1 may start seconds after rank 0, and MPI_Init waits under the same limit.
        var job = MpiJob.Run(2, _temp["ranks"], "--batch 8 --hang-at-step 5 --timeout 10", timeoutSeconds: 240);
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("rank 0 of 2 waited 10 s in", job.Output);
        Assert.Contains("TrainingArguments.DdpTimeout", job.Output);
        Assert.False(File.Exists(_temp["ranks/rank-0.json"]), "rank 0 finished training without rank 1");
    }

    [MpiFact]
    public void A_rank_that_exits_before_training_starts_is_found_by_the_timeout()
    {
        // mpirun does not end rank 0, which waits in MPI_Init for a rank that will never come.
        var job = MpiJob.Run(2, _temp["ranks"], "--batch 8 --die-before-start 1 --timeout 5", timeoutSeconds: 240);
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("rank 0 waited 5 s in MPI_Init for the other ranks", job.Output);
        Assert.False(File.Exists(_temp["ranks/rank-0.json"]), "rank 0 trained without rank 1");
    }

    [MpiFact]
    public void Resuming_from_last_on_a_fresh_mpirun_continues_exactly()
    {
        // Dropout makes the result depend on every rank's generator, which the checkpoint must restore.
        const string settings = "--batch 8 --dropout 0.2 --epochs 2";
        var reference = MpiJob.Run(2, _temp["reference"], settings + " --output " + _temp["reference-out"]);
        Assert.True(reference.ExitCode == 0, reference.Output);

        string output = _temp["resumed-out"];
        var crashed = MpiJob.Run(2, _temp["crashed"], $"{settings} --save-steps 5 --output {output} --die-at-step 27");
        Assert.NotEqual(0, crashed.ExitCode);
        string last = Path.Combine(output, "checkpoint-25");
        Assert.True(File.Exists(Path.Combine(last, "rng_state_0.bin")), crashed.Output);
        Assert.True(File.Exists(Path.Combine(last, "rng_state_1.bin")), crashed.Output);
        Assert.False(File.Exists(Path.Combine(last, "rng_state.bin")));

        var resumed = MpiJob.Run(2, _temp["resumed"], $"{settings} --save-steps 5 --output {output} --resume last");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Equal(40, resumed.Rank(0)["global_step"]!.GetValue<int>());
        AssertSameWeights(reference.Rank(0), resumed.Rank(0), 0);
        AssertSameWeights(reference.Rank(1), resumed.Rank(1), 0);

        // The same checkpoint resumes in one process too (from rank 0's generator), with twice the steps per epoch.
        var alone = MpiJob.Run(1, _temp["alone"], $"--batch 8 --dropout 0.2 --epochs 2 --output {output} --resume {last}");
        Assert.True(alone.ExitCode == 0, alone.Output);
        Assert.Equal(80, alone.Rank(0)["global_step"]!.GetValue<int>());
    }

    [MpiFact]
    public void DynamicShapes_on_two_ranks_are_padded_across_ranks_as_one_process_pads_them()
    {
        // HF: pad_across_processes(dim=1, pad_index=-100) before the gather. 45 examples in batches of 25: rank 0's
        // batch of 25 has length 2, rank 1's batch of 20 length 3 (1 + size % 3); one process pads the first to 3.
        var single = MpiJob.Run(1, _temp["single"], "--batch 16 --max-steps 1 --eval-examples 45 --eval-batch 25 --ragged-eval 1");
        var job = MpiJob.Run(2, _temp["ranks"], "--batch 8 --max-steps 1 --eval-examples 45 --eval-batch 25 --ragged-eval 1");
        Assert.True(single.ExitCode == 0, single.Output);
        Assert.True(job.ExitCode == 0, job.Output);
        var shape = single.Rank(0)["predictions_shape"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray();
        Assert.Equal([45L, 3, 2], shape);
        var logits = single.Rank(0)["predictions"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var labels = single.Rank(0)["label_ids"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray();
        Assert.Contains(-100L, labels);   // batches differed in length
        foreach (int rank in new[] { 0, 1 })
        {
            Assert.Equal(shape, job.Rank(rank)["predictions_shape"]!.AsArray().Select(v => v!.GetValue<long>()));
            Assert.Equal(labels, job.Rank(rank)["label_ids"]!.AsArray().Select(v => v!.GetValue<long>()));
            var gathered = job.Rank(rank)["predictions"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            for (int i = 0; i < logits.Length; i++) Assert.Equal(logits[i], gathered[i], 1e-5);
            Assert.Equal(single.Rank(0)["eval"]!["eval_accuracy"]!.GetValue<double>(), job.Rank(rank)["eval"]!["eval_accuracy"]!.GetValue<double>(), 9);
        }
    }
}
