using System.Runtime.InteropServices;
using System.Text;

namespace Dsl.Distributed.Native;

/// <summary>The element types the engine sends (MPI_BYTE, MPI_INT, MPI_FLOAT, MPI_DOUBLE, MPI_LONG_LONG).</summary>
internal enum MpiType { Byte, Int, Float, Double, LongLong }

/// <summary>
/// The MPI calls the engine makes, whatever the library's ABI. MPI's C API is the same in every
/// implementation except for its handle types: MPICH's ABI (MPICH, Intel MPI, MVAPICH) makes communicators,
/// datatypes, operations and error handlers 32-bit integers with fixed values; Open MPI makes them pointers
/// to objects the library exports. <see cref="MpiCalls{THandle}"/> is the one implementation, typed by the
/// handle; <see cref="MpichAbi"/> and <see cref="OpenMpiAbi"/> supply the handles.
/// </summary>
internal abstract class MpiAbi
{
    /// <summary>MPI_THREAD_MULTIPLE (3 in both mpi.h files): the watchdog may call MPI_Abort while another thread waits in a collective.</summary>
    public const int ThreadMultiple = 3;

    /// <summary>The ABI's name, for messages.</summary>
    public abstract string Name { get; }

    public abstract int InitThread(int required, out int provided);
    public abstract bool Initialized();
    public abstract bool Finalized();
    public abstract int Finalize();
    public abstract int Rank();
    public abstract int Size();
    /// <summary>Makes errors on MPI_COMM_WORLD come back as return codes (MPI_ERRORS_RETURN) instead of ending the process.</summary>
    public abstract void ReturnErrors();
    /// <summary>Sums <paramref name="count"/> elements at <paramref name="data"/> over every rank, in place (MPI_IN_PLACE).</summary>
    public abstract unsafe int AllReduceSumInPlace(void* data, int count, MpiType type);
    public abstract unsafe int Broadcast(void* data, int bytes, int root);
    public abstract unsafe int AllGatherInt(int local, int* all);
    public abstract unsafe int AllGatherBytes(byte* send, int count, byte* receive, int* counts, int* offsets);
    public abstract int Barrier();
    public abstract int Abort(int code);
    /// <summary>MPI_Error_string of <paramref name="code"/>.</summary>
    public abstract string ErrorString(int code);

    /// <summary>Throws with the library's own words unless <paramref name="code"/> is MPI_SUCCESS (0 in both ABIs).</summary>
    public void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error {code}: {ErrorString(code)}");
    }

    /// <summary>
    /// The text MPI wrote into <paramref name="buffer"/>; <paramref name="length"/> counts the terminating NUL in
    /// some versions and not in others, so the text ends at the first NUL.
    /// </summary>
    public static string Decode(byte[] buffer, int length)
    {
        var span = buffer.AsSpan(0, Math.Clamp(length, 0, buffer.Length));
        int end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]).Trim();
    }
}

/// <summary>The handles of one ABI: integers (MPICH) or the addresses of exported objects (Open MPI).</summary>
internal readonly record struct MpiHandles<THandle>(
    THandle CommWorld, THandle Byte, THandle Int, THandle Float, THandle Double, THandle LongLong,
    THandle Sum, THandle ErrorsReturn, nint InPlace) where THandle : unmanaged;

/// <summary>
/// The MPI functions of one loaded library, as unmanaged function pointers whose handle parameters have the
/// ABI's exact type (<c>int</c> or <c>nint</c>). Each signature is the C prototype of MPICH 4.0's
/// <c>mpi_proto.h</c> and Open MPI 4.1's <c>mpi.h</c> (identical but for the handle types); the handle values
/// are checked against both headers by tests/Dsl.Distributed.Tests/Native.
/// </summary>
internal sealed unsafe class MpiCalls<THandle> : MpiAbi where THandle : unmanaged
{
    // MPI_MAX_ERROR_STRING: 512 in MPICH, 256 in Open MPI.
    private const int ErrorCapacity = 512;

    private readonly MpiHandles<THandle> _h;
    private readonly delegate* unmanaged<int*, byte***, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int*, int> _initialized, _finalized;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<THandle, int*, int> _commRank, _commSize;
    private readonly delegate* unmanaged<THandle, THandle, int> _commSetErrhandler;
    private readonly delegate* unmanaged<void*, void*, int, THandle, THandle, THandle, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, THandle, int, THandle, int> _bcast;
    private readonly delegate* unmanaged<void*, int, THandle, void*, int, THandle, THandle, int> _allgather;
    private readonly delegate* unmanaged<void*, int, THandle, void*, int*, int*, THandle, THandle, int> _allgatherv;
    private readonly delegate* unmanaged<THandle, int> _barrier;
    private readonly delegate* unmanaged<THandle, int, int> _abort;
    private readonly delegate* unmanaged<int, byte*, int*, int> _errorString;

    public MpiCalls(string name, nint library, MpiHandles<THandle> handles)
    {
        Name = name;
        _h = handles;
        nint F(string function) => NativeLibrary.TryGetExport(library, function, out nint address)
            ? address
            : throw new EntryPointNotFoundException($"The MPI library has no {function} ({name}).");
        _initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)F("MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)F("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)F("MPI_Finalized");
        _finalize = (delegate* unmanaged<int>)F("MPI_Finalize");
        _commRank = (delegate* unmanaged<THandle, int*, int>)F("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<THandle, int*, int>)F("MPI_Comm_size");
        _commSetErrhandler = (delegate* unmanaged<THandle, THandle, int>)F("MPI_Comm_set_errhandler");
        _allreduce = (delegate* unmanaged<void*, void*, int, THandle, THandle, THandle, int>)F("MPI_Allreduce");
        _bcast = (delegate* unmanaged<void*, int, THandle, int, THandle, int>)F("MPI_Bcast");
        _allgather = (delegate* unmanaged<void*, int, THandle, void*, int, THandle, THandle, int>)F("MPI_Allgather");
        _allgatherv = (delegate* unmanaged<void*, int, THandle, void*, int*, int*, THandle, THandle, int>)F("MPI_Allgatherv");
        _barrier = (delegate* unmanaged<THandle, int>)F("MPI_Barrier");
        _abort = (delegate* unmanaged<THandle, int, int>)F("MPI_Abort");
        _errorString = (delegate* unmanaged<int, byte*, int*, int>)F("MPI_Error_string");
    }

    public override string Name { get; }

    public override int InitThread(int required, out int provided)
    {
        int level;
        int code = _initThread(null, null, required, &level);   // MPI-2: argc and argv may be null
        provided = level;
        return code;
    }

    public override bool Initialized()
    {
        int flag;
        Check(_initialized(&flag), "MPI_Initialized");
        return flag != 0;
    }

    public override bool Finalized()
    {
        int flag;
        return _finalized(&flag) == 0 && flag != 0;
    }

    public override int Finalize() => _finalize();

    public override int Rank()
    {
        int rank;
        Check(_commRank(_h.CommWorld, &rank), "MPI_Comm_rank");
        return rank;
    }

    public override int Size()
    {
        int size;
        Check(_commSize(_h.CommWorld, &size), "MPI_Comm_size");
        return size;
    }

    public override void ReturnErrors() => Check(_commSetErrhandler(_h.CommWorld, _h.ErrorsReturn), "MPI_Comm_set_errhandler");

    public override int AllReduceSumInPlace(void* data, int count, MpiType type) =>
        _allreduce((void*)_h.InPlace, data, count, Handle(type), _h.Sum, _h.CommWorld);

    public override int Broadcast(void* data, int bytes, int root) => _bcast(data, bytes, _h.Byte, root, _h.CommWorld);

    public override int AllGatherInt(int local, int* all) => _allgather(&local, 1, _h.Int, all, 1, _h.Int, _h.CommWorld);

    public override int AllGatherBytes(byte* send, int count, byte* receive, int* counts, int* offsets) =>
        _allgatherv(send, count, _h.Byte, receive, counts, offsets, _h.Byte, _h.CommWorld);

    public override int Barrier() => _barrier(_h.CommWorld);

    public override int Abort(int code) => _abort(_h.CommWorld, code);

    public override string ErrorString(int code)
    {
        var buffer = new byte[ErrorCapacity];
        int length;
        fixed (byte* text = buffer)
            if (_errorString(code, text, &length) != 0) return "(no description)";
        return Decode(buffer, length);
    }

    private THandle Handle(MpiType type) => type switch
    {
        MpiType.Byte => _h.Byte,
        MpiType.Int => _h.Int,
        MpiType.Float => _h.Float,
        MpiType.Double => _h.Double,
        MpiType.LongLong => _h.LongLong,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
