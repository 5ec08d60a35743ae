using Dsl.Distributed.Tests.Launching;
using Dsl.Tests.Support;

namespace Dsl.Distributed.Tests.Native;

/// <summary>
/// Every collective of the binding under each MPI, with 3 ranks (an odd count, so no algorithm's power-of-two
/// shortcut hides a mistake) and values whose sums are exact (tests/Dsl.Tests.MpiWorker/Collectives.cs).
/// </summary>
public sealed class CollectivesTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [EachMpiTheory]
    [InlineData(Mpi.Mpich, "MPICH ABI", "libmpich.so.12", "MPICH Version:")]
    [InlineData(Mpi.OpenMpi, "Open MPI ABI", "libmpi.so.40", "Open MPI v4")]
    public void Sums_broadcasts_gathers_and_barriers_give_exact_results(Mpi mpi, string abi, string library, string version)
    {
        var job = MpiJob.Run(3, _temp["job"], "--collectives 1", timeoutSeconds: 120, mpi: mpi);
        Assert.True(job.ExitCode == 0, job.Output);
        for (int rank = 0; rank < 3; rank++)
        {
            var result = job.Rank(rank);
            Assert.Equal(rank, result["rank"]!.GetValue<int>());
            Assert.Equal(3, result["world_size"]!.GetValue<int>());
            Assert.Equal(abi, (string?)result["abi"]);
            Assert.Equal(library, (string?)result["library"]);
            Assert.StartsWith(version, (string?)result["library_version"]);
            // Σ (rank + 1) × 0.5 × i over 3 ranks = 3i, for each of the 100 elements.
            Assert.Equal(Enumerable.Range(0, 100).Select(i => 3.0 * i), result["float_sums"]!.AsArray().Select(v => v!.GetValue<double>()));
            Assert.Equal([1e300, 0.25 + 1.25 + 2.25], result["double_sums"]!.AsArray().Select(v => v!.GetValue<double>()));
            Assert.Equal([3 * (1L << 40) + 3, -3L], result["long_sums"]!.AsArray().Select(v => v!.GetValue<long>()));
            Assert.Equal([2.0, 2, 2, 2, 2], result["broadcast"]!.AsArray().Select(v => v!.GetValue<double>()));
            Assert.Equal(["", "010101", "020202020202"], result["gathered"]!.AsArray().Select(v => (string?)v));
        }
    }

    [EachMpiTheory]
    [InlineData(Mpi.OpenMpi, "libmpich.so.12", "started by Open MPI's mpirun (OMPI_COMM_WORLD_SIZE), but the MPI library (from DSL_MPI_LIBRARY) is libmpich.so.12")]
    [InlineData(Mpi.Mpich, "libmpi.so.40", "started by an MPICH-family mpiexec (PMI_RANK, PMI_SIZE), but the MPI library (from DSL_MPI_LIBRARY) is libmpi.so.40")]
    public void A_library_the_launcher_cannot_start_is_one_clear_error(Mpi mpi, string library, string message)
    {
        var job = MpiJob.Run(2, _temp["job"], "--collectives 1", timeoutSeconds: 120, mpi: mpi,
            environment: new Dictionary<string, string> { ["DSL_MPI_LIBRARY"] = library });
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains(message, job.Output);
        Assert.False(File.Exists(_temp["job/rank-0.json"]));
    }
}
