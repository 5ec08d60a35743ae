using Dsl.Tests.Support;
using Dsl.Threading;
using TorchSharp;

namespace Dsl.Tests.Runtime;

/// <summary>The thread policy that follows the cores other processes leave free (TorchThreads).</summary>
public sealed class FreeCoreThreadsTests
{
    // One interval of 100 ticks on a machine of `cores` cores: others used `others` ticks and this process `own`
    // (hundredths of a core).
    [Theory]
    [InlineData(100, 100, 2, 2, 2, 1)]   // others hold a core (two spinners beside our two threads): one thread
    [InlineData(133, 67, 2, 1, 2, 1)]    // with one thread the two spinners get 4/3 of a core: still no core for a second
    [InlineData(67, 133, 2, 2, 2, 1)]    // one spinner beside two threads gets 2/3 of a core: 1.33 free, one thread
    [InlineData(20, 180, 2, 2, 2, 2)]    // a fifth of a core elsewhere (a shell, a logger) takes no thread away,
    [InlineData(40, 160, 2, 2, 2, 2)]    // nor do two fifths: the second thread still has most of a core
    [InlineData(0, 100, 4, 1, 4, 2)]     // others gone: back up one thread at a time,
    [InlineData(0, 100, 4, 2, 4, 3)]
    [InlineData(0, 100, 4, 4, 4, 4)]     // up to the count at the start and no further,
    [InlineData(0, 0, 8, 2, 2, 2)]
    [InlineData(200, 0, 2, 2, 2, 1)]     // and never below one thread
    public void The_thread_count_follows_the_cores_other_processes_leave(long others, long own, int cores, int current, int max, int expected)
    {
        long total = 100L * cores;
        var before = new CpuSample(1_000, 10_000, 500);
        var after = new CpuSample(1_000 + others + own, 10_000 + total, 500 + own);
        Assert.Equal(expected, ThreadCountRule.Next(before, after, cores, current, max));
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
