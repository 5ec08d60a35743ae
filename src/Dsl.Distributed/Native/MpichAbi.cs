namespace Dsl.Distributed.Native;

/// <summary>
/// MPICH's ABI, kept by MPICH 3.1 and later, Intel MPI and MVAPICH (the MPICH ABI compatibility initiative):
/// handles are 32-bit integers with these values, from MPICH 4.0.2's <c>mpi.h</c> (checked by
/// tests/Dsl.Distributed.Tests against the installed header, compiled).
/// </summary>
internal static class MpichAbi
{
    /// <summary>The ABI's name in messages.</summary>
    public const string Name = "MPICH ABI";

    /// <summary>Library names tried in order: MPICH's, then the name Intel MPI and MVAPICH use.</summary>
    public static readonly string[] LibraryNames = ["libmpich.so.12", "libmpi.so.12"];

    /// <summary>The handle values by the name mpi.h gives them.</summary>
    public static readonly IReadOnlyDictionary<string, long> Constants = new Dictionary<string, long>
    {
        ["MPI_COMM_WORLD"] = 0x44000000,
        ["MPI_BYTE"] = 0x4c00010d,
        ["MPI_INT"] = 0x4c000405,
        ["MPI_FLOAT"] = 0x4c00040a,
        ["MPI_DOUBLE"] = 0x4c00080b,
        ["MPI_LONG_LONG"] = 0x4c000809,
        ["MPI_SUM"] = 0x58000003,
        ["MPI_ERRORS_RETURN"] = 0x54000001,
        ["MPI_IN_PLACE"] = -1,   // (void *) -1
    };

    /// <summary>The calls of a loaded MPICH-ABI library.</summary>
    public static MpiAbi Bind(nint library)
    {
        int H(string name) => checked((int)Constants[name]);
        return new MpiCalls<int>(Name, library, new MpiHandles<int>(
            H("MPI_COMM_WORLD"), H("MPI_BYTE"), H("MPI_INT"), H("MPI_FLOAT"), H("MPI_DOUBLE"), H("MPI_LONG_LONG"),
            H("MPI_SUM"), H("MPI_ERRORS_RETURN"), (nint)Constants["MPI_IN_PLACE"]));
    }
}
