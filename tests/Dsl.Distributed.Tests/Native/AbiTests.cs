using Dsl.Distributed.Native;
using Dsl.Distributed.Tests.Launching;
using Dsl.Tests.Support;

namespace Dsl.Distributed.Tests.Native;

/// <summary>
/// The binding's handles against the installed headers: Native/mpi-constants.c is compiled with each MPI's own
/// compiler wrapper and prints what its mpi.h defines (values, or the exported symbol behind a pointer handle),
/// so a constant typed wrong here, or changed by a new MPI, fails by name.
/// </summary>
public sealed class AbiTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [CompilerFact("mpicc.mpich")]
    public void MPICH_handles_are_the_values_of_the_installed_mpi_h()
    {
        var header = Probe("mpicc.mpich");
        foreach (var (name, value) in MpichAbi.Constants)
            Assert.True(header[name] == $"value 0x{(ulong)value:x}", $"{name}: mpi.h says {header[name]}, MpichAbi 0x{(ulong)value:x}");
        // MpiCalls<int>: every handle type is 32 bits wide.
        foreach (string type in new[] { "MPI_Comm", "MPI_Datatype", "MPI_Op", "MPI_Errhandler" })
            Assert.Equal("int 4", header[$"sizeof({type})"]);
        Assert.Equal($"int {MpiAbi.ThreadMultiple}", header["MPI_THREAD_MULTIPLE"]);
        Assert.Equal("int 0", header["MPI_SUCCESS"]);
        Assert.Equal(MpichAbi.Name, MpiLibrary.AbiOf(header["version"]));
    }

    [CompilerFact("mpicc.openmpi")]
    public void Open_MPI_handles_are_the_symbols_the_installed_mpi_h_names()
    {
        var header = Probe("mpicc.openmpi");
        foreach (var (name, symbol) in OpenMpiAbi.Symbols)
            Assert.True(header[name] == $"symbol {symbol}", $"{name}: mpi.h says {header[name]}, OpenMpiAbi {symbol}");
        Assert.Equal($"value 0x{OpenMpiAbi.InPlace:x}", header["MPI_IN_PLACE"]);
        // MpiCalls<nint>: every handle type is a pointer.
        foreach (string type in new[] { "MPI_Comm", "MPI_Datatype", "MPI_Op", "MPI_Errhandler" })
            Assert.Equal($"int {IntPtr.Size}", header[$"sizeof({type})"]);
        Assert.Equal($"int {MpiAbi.ThreadMultiple}", header["MPI_THREAD_MULTIPLE"]);
        Assert.Equal("int 0", header["MPI_SUCCESS"]);
        Assert.Equal(OpenMpiAbi.Name, MpiLibrary.AbiOf(header["version"]));
    }

    [Theory]
    [InlineData("MPICH Version:\t4.0.2\nMPICH Release date: ...", MpichAbi.Name)]
    [InlineData("Intel(R) MPI Library 2021.10 for Linux* OS", MpichAbi.Name)]
    [InlineData("MVAPICH2 Version      :\t2.3.7", MpichAbi.Name)]
    [InlineData("MPI VERSION    : CRAY MPICH version 8.1.25", MpichAbi.Name)]
    [InlineData("Microsoft MPI 10.1.12498.18", MpichAbi.Name)]
    [InlineData("Open MPI v4.1.4, package: Debian OpenMPI, ident: 4.1.4", OpenMpiAbi.Name)]
    [InlineData("Open MPI v5.0.3, package: Open MPI", OpenMpiAbi.Name)]
    [InlineData("Spectrum MPI 10.4", null)]
    public void The_ABI_is_read_from_the_library_version(string version, string? abi) => Assert.Equal(abi, MpiLibrary.AbiOf(version));

    // Compiles and runs Native/mpi-constants.c; returns "NAME" → "value 0x..." / "symbol S" / "int N", and "version" → the text.
    private Dictionary<string, string> Probe(string compiler)
    {
        string program = _temp[compiler + "-probe"];
        var (built, buildOutput) = MpiJob.Tool(compiler, "-o", program, Path.Combine(MpiJob.Sources, "Native", "mpi-constants.c"), "-ldl");
        Assert.True(built == 0, buildOutput);
        var (ran, output) = MpiJob.Tool(program);
        Assert.True(ran == 0, output);
        var result = new Dictionary<string, string>();
        foreach (string line in output.Split('\n'))
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && !result.ContainsKey(line[..space])) result[line[..space]] = line[(space + 1)..].Trim();
        }
        return result;
    }
}

/// <summary>A fact that needs an MPI's compiler wrapper (and so its mpi.h): skipped, with the reason, where it is missing.</summary>
public sealed class CompilerFactAttribute : FactAttribute
{
    public CompilerFactAttribute(string compiler)
    {
        if (Launchers.OnPath(compiler) is null)
            Skip = $"{compiler} is not on PATH: the header check needs the MPI's development package " +
                   "(apt-get install -y libmpich-dev libopenmpi-dev, as .ci/run does).";
    }
}
