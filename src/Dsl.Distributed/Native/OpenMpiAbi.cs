using System.Runtime.InteropServices;

namespace Dsl.Distributed.Native;

/// <summary>
/// Open MPI's ABI (4.x and 5.x): a handle is the address of an object the library exports, e.g.
/// <c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c>. The symbol behind each handle is the one
/// Open MPI 4.1's <c>mpi.h</c> names (checked by tests/Dsl.Distributed.Tests against the installed header,
/// compiled); the addresses are read from the loaded library.
/// </summary>
internal static class OpenMpiAbi
{
    /// <summary>The ABI's name in messages.</summary>
    public const string Name = "Open MPI ABI";

    /// <summary>Open MPI 4 and 5 ship libmpi.so.40.</summary>
    public static readonly string[] LibraryNames = ["libmpi.so.40"];

    /// <summary>The exported object behind each handle, by the name mpi.h gives the handle.</summary>
    public static readonly IReadOnlyDictionary<string, string> Symbols = new Dictionary<string, string>
    {
        ["MPI_COMM_WORLD"] = "ompi_mpi_comm_world",
        ["MPI_BYTE"] = "ompi_mpi_byte",
        ["MPI_INT"] = "ompi_mpi_int",
        ["MPI_FLOAT"] = "ompi_mpi_float",
        ["MPI_DOUBLE"] = "ompi_mpi_double",
        ["MPI_LONG_LONG"] = "ompi_mpi_long_long_int",
        ["MPI_SUM"] = "ompi_mpi_op_sum",
        ["MPI_ERRORS_RETURN"] = "ompi_mpi_errors_return",
    };

    /// <summary>MPI_IN_PLACE is <c>(void *) 1</c>.</summary>
    public const long InPlace = 1;

    /// <summary>The calls of a loaded Open MPI library.</summary>
    public static MpiAbi Bind(nint library)
    {
        nint H(string name) => NativeLibrary.TryGetExport(library, Symbols[name], out nint address)
            ? address
            : throw new EntryPointNotFoundException($"The MPI library exports no {Symbols[name]} ({name}): not Open MPI 4 or 5?");
        return new MpiCalls<nint>(Name, library, new MpiHandles<nint>(
            H("MPI_COMM_WORLD"), H("MPI_BYTE"), H("MPI_INT"), H("MPI_FLOAT"), H("MPI_DOUBLE"), H("MPI_LONG_LONG"),
            H("MPI_SUM"), H("MPI_ERRORS_RETURN"), (nint)InPlace));
    }
}
