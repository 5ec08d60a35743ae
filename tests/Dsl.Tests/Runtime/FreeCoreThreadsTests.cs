using Dsl.Tests.Support;
using Dsl.Threading;
using TorchSharp;

namespace Dsl.Tests.Runtime;

/// <summary>The thread policy that follows the cores other processes leave free (TorchThreads).</summary>
public sealed class FreeCoreThreadsTests
{
    // A machine of 2 cores over one interval of 100 ticks per core: others used `others` ticks, this process `own`.
    private static (CpuSample Before, CpuSample After) Interval(long others, long own) =>
        (new CpuSample(1_000, 10_000, 500), new CpuSample(1_000 + others + own, 10_200, 500 + own));

    [Fact]
    public void Others_holding_a_core_leave_one_thread()
    {
        var (before, after) = Interval(others: 100, own: 100);
        Assert.Equal(1, ThreadCountRule.Next(before, after, cores: 2, current: 2, max: 2));
    }

    [Fact]
    public void Two_spinning_processes_sharing_the_cores_with_two_threads_leave_one_thread()
    {
        // Four runnable threads on two cores: the spinners get one core between them, this run the other.
        var (before, after) = Interval(others: 100, own: 100);
        Assert.Equal(1, ThreadCountRule.Next(before, after, 2, 2, 2));
        // With one thread, the spinners get 4/3 of a core: still no core free for a second thread.
        (before, after) = Interval(others: 133, own: 67);
        Assert.Equal(1, ThreadCountRule.Next(before, after, 2, 1, 2));
    }

    [Fact]
    public void The_count_goes_back_up_one_thread_at_a_time_when_others_leave()
    {
        var (before, after) = Interval(others: 0, own: 100);
        Assert.Equal(2, ThreadCountRule.Next(before, after, cores: 4, current: 1, max: 4));
        Assert.Equal(3, ThreadCountRule.Next(before, after, cores: 4, current: 2, max: 4));
        Assert.Equal(4, ThreadCountRule.Next(before, after, cores: 4, current: 4, max: 4));
    }

    [Fact]
    public void A_little_work_elsewhere_keeps_the_count()
    {
        // A fifth of a core used by others (a shell, a logger) does not take a thread away, nor does two fifths:
        // the second thread still has most of a core.
        var (before, after) = Interval(others: 20, own: 180);
        Assert.Equal(2, ThreadCountRule.Next(before, after, 2, 2, 2));
        (before, after) = Interval(others: 40, own: 160);
        Assert.Equal(2, ThreadCountRule.Next(before, after, 2, 2, 2));
    }

    [Fact]
    public void One_spinning_process_beside_two_threads_leaves_one_thread()
    {
        // Three runnable threads on two cores: the spinner gets 2/3 of a core, so 1.33 cores are free.
        var (before, after) = Interval(others: 67, own: 133);
        Assert.Equal(1, ThreadCountRule.Next(before, after, 2, 2, 2));
    }

    [Fact]
    public void The_count_stays_between_one_and_the_count_at_the_start()
    {
        var (before, after) = Interval(others: 200, own: 0);
        Assert.Equal(1, ThreadCountRule.Next(before, after, cores: 2, current: 2, max: 2));
        (before, after) = Interval(others: 0, own: 0);
        Assert.Equal(2, ThreadCountRule.Next(before, after, cores: 8, current: 2, max: 2));
    }

    [Fact]
    public void An_interval_with_no_ticks_keeps_the_count()
    {
        var sample = new CpuSample(5, 10, 1);
        Assert.Equal(2, ThreadCountRule.Next(sample, sample, 2, 2, 2));
    }

    [Fact]
    public void Kernel_cpu_times_are_read_with_idle_and_io_wait_as_not_busy()
    {
        var sample = CpuSample.Parse("cpu  100 20 30 400 50 6 7 8 9 0",
            "1234 (dotnet host (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 77 23 0 0 20 0 12 0 100 0 0");
        Assert.Equal(100 + 20 + 30 + 400 + 50 + 6 + 7 + 8, sample.Total);
        Assert.Equal(sample.Total - 400 - 50, sample.Busy);
        Assert.Equal(77 + 23, sample.Own);
    }

    [Fact]
    public void A_malformed_cpu_line_is_a_format_error_naming_it()
    {
        var e = Assert.Throws<FormatException>(() => CpuSample.Parse("intr 1 2 3", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0"));
        Assert.Contains("intr 1 2 3", e.Message);
        Assert.Throws<FormatException>(() => CpuSample.Parse("cpu 1 2 3 4 5", "no parenthesis here"));
    }

    [Fact]
    public void This_machine_s_cpu_times_can_be_read()
    {
        var sample = CpuSample.Read();
        Assert.NotNull(sample);
        Assert.InRange(sample.Value.Busy, 0, sample.Value.Total);
    }

    [Fact]
    public void The_policy_names_are_read_from_the_variable_and_a_wrong_one_is_refused()
    {
        Assert.Equal(TorchThreads.DefaultPolicy, TorchThreads.Parse(null));
        Assert.Equal(ThreadPolicy.Fixed, TorchThreads.Parse("fixed"));
        Assert.Equal(ThreadPolicy.FollowFreeCores, TorchThreads.Parse(" Follow-Free-Cores "));
        var e = Assert.Throws<ArgumentException>(() => TorchThreads.Parse("adaptive"));
        Assert.Contains("DSL_TORCH_THREADS", e.Message);
        Assert.Contains("follow-free-cores", e.Message);
    }

    [Fact]
    public void The_follower_sets_fewer_threads_when_others_take_cores_and_restores_the_count_at_the_end()
    {
        var readings = new Queue<CpuSample?>([new CpuSample(1_200, 10_200, 600), new CpuSample(1_400, 10_400, 800)]);
        var set = new List<int>();
        var follower = new FreeCoreThreads(max: 2, cores: 2, () => readings.Dequeue(), set.Add, new CpuSample(1_000, 10_000, 500), TimeSpan.Zero);
        follower.Tick();   // others held a core: down to one thread
        Assert.Equal(1, follower.Current);
        follower.Tick();   // others gone: back up
        Assert.Equal(2, follower.Current);
        follower.Dispose();
        Assert.Equal([1, 2], set);
    }

    [Fact]
    public void The_follower_restores_the_starting_count_when_it_ends_below_it()
    {
        var set = new List<int>();
        var follower = new FreeCoreThreads(4, 4, () => new CpuSample(1_000 + 400, 10_400, 500), set.Add, new CpuSample(1_000, 10_000, 500), TimeSpan.Zero);
        follower.Tick();
        Assert.Equal(1, follower.Current);
        follower.Dispose();
        Assert.Equal([1, 4], set);
        Assert.Equal(4, follower.Current);
    }
}

/// <summary>A training run under FollowFreeCores leaves libtorch's thread count as it found it.</summary>
[Collection(TorchState.Name)]
public sealed class FreeCoreThreadsRunTests
{
    [Fact]
    public void Training_under_the_policy_leaves_the_thread_count_as_it_found_it()
    {
        int threads = torch.get_num_threads();
        using var temp = new TempDirectory();
        TorchThreads.Policy = ThreadPolicy.FollowFreeCores;
        try
        {
            torch.set_num_threads(2);
            var trainer = new DefaultsTrainer(TinyNet.Create(seed: 1), Args.Quiet(temp.Path) with { MaxSteps = 30 });
            trainer.Train(SampleData.Make(200));
            Assert.Equal(2, torch.get_num_threads());
        }
        finally
        {
            TorchThreads.Policy = TorchThreads.DefaultPolicy;
            torch.set_num_threads(threads);
        }
    }
}
