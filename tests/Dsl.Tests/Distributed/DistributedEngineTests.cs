using Dsl.Distributed;

namespace Dsl.Tests.Distributed;

/// <summary>How the core finds the MPI engine of the Dsl.Distributed package, and what it says without it.</summary>
public sealed class DistributedEngineTests
{
    private static readonly Launch Launched = new(LaunchKind.Pmi, 1, 2, 1, "an MPICH-family mpiexec (PMI_RANK, PMI_SIZE)");

    [Fact]
    public void Without_the_package_the_error_names_the_launcher_and_the_package_to_reference()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DistributedEngine.Find(Launched, "Dsl.Distributed.NotThere"));
        Assert.Equal(
            "This process was started by an MPICH-family mpiexec (PMI_RANK, PMI_SIZE) as rank 1 of 2, and data-parallel training " +
            "needs the Dsl.Distributed.NotThere package, which this program does not reference. Add it to the project " +
            "(dotnet add package Dsl.Distributed.NotThere) and rebuild; see docs/distributed.md.", error.Message);
    }

    [Fact]
    public void An_assembly_that_names_no_engine_is_an_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DistributedEngine.Find(Launched, "Dsl"));
        Assert.Contains("names no engine ([assembly: DistributedEngine(...)])", error.Message);
    }

    [Fact]
    public void The_core_package_does_not_reference_an_MPI_binding()
    {
        var references = typeof(DistributedLaunch).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.DoesNotContain(references, name => name!.Contains("MPI", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("Dsl.Distributed", references);
    }
}
