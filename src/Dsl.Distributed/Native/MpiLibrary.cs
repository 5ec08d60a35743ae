using System.Runtime.InteropServices;

namespace Dsl.Distributed.Native;

/// <summary>
/// Finds the MPI library the launcher serves, loads it, and binds the calls of its ABI. The launcher decides
/// which library to try (Open MPI's mpirun and PMIx launchers: Open MPI's <c>libmpi.so.40</c>; PMI launchers
/// such as MPICH's mpiexec or <c>srun --mpi=pmi2</c>: the MPICH-ABI <c>libmpich.so.12</c>, then
/// <c>libmpi.so.12</c>), unless <c>DSL_MPI_LIBRARY</c> names one; the library's own
/// <c>MPI_Get_library_version</c> decides the ABI, and a library the launcher cannot serve is one clear error
/// before MPI starts.
/// </summary>
internal static class MpiLibrary
{
    /// <summary>The environment variable that names the library to load (a file name or a path).</summary>
    public const string LibraryVariable = "DSL_MPI_LIBRARY";

    /// <summary>The loaded library's calls and its version text.</summary>
    public sealed record Loaded(MpiAbi Abi, string Library, string Version);

    /// <summary>Loads and binds the MPI library for <paramref name="launch"/>.</summary>
    /// <exception cref="DllNotFoundException">No candidate library loads.</exception>
    /// <exception cref="InvalidOperationException">The library is of another MPI than the launcher's, or unknown.</exception>
    public static Loaded Load(Launch launch, Func<string, string?> environment)
    {
        string? configured = environment(LibraryVariable);
        bool openMpiLauncher = launch.Kind is LaunchKind.OpenMpi or LaunchKind.Pmix;
        string[] candidates = configured is { Length: > 0 } ? [configured]
            : OperatingSystem.IsWindows() ? ["msmpi.dll"]
            : openMpiLauncher ? OpenMpiAbi.LibraryNames : MpichAbi.LibraryNames;

        // UCX (under MPICH's ch4:ucx and Open MPI's pml/ucx) installs handlers for SIGSEGV, SIGBUS, SIGILL and SIGFPE
        // when it loads, replacing .NET's: a NullReferenceException would then crash the rank with a UCX backtrace
        // instead of being thrown. An empty list keeps .NET's handlers; a value the user set wins.
        Libc.SetDefault("UCX_ERROR_SIGNALS", "");

        var failures = new List<string>();
        foreach (string candidate in candidates)
        {
            nint handle = Libc.OpenGlobal(candidate, out string? error);
            if (handle == 0)
            {
                failures.Add($"{candidate} ({error})");
                continue;
            }
            string version = ReadVersion(handle);
            var abi = Bind(handle, candidate, version);
            RequireServedBy(launch, abi, candidate, version, configured is { Length: > 0 });
            return new Loaded(abi, candidate, version);
        }
        throw new DllNotFoundException(
            $"This process was started by {launch.Launcher}, and no MPI library loaded: tried {string.Join("; ", failures)}. " +
            (openMpiLauncher
                ? "Install Open MPI's library (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi3)"
                : "Install MPICH's library (Debian/Ubuntu: apt-get install mpich libmpich12)") +
            $", or set {LibraryVariable} to the library's path.");
    }

    /// <summary>The ABI family a version text belongs to: <see cref="OpenMpiAbi.Name"/>, <see cref="MpichAbi.Name"/>, or null.</summary>
    public static string? AbiOf(string version) =>
        version.StartsWith("Open MPI", StringComparison.Ordinal) ? OpenMpiAbi.Name
        : version.Contains("MPICH", StringComparison.Ordinal) || version.Contains("Intel(R) MPI", StringComparison.Ordinal)
          || version.Contains("MVAPICH", StringComparison.Ordinal) || version.Contains("Microsoft MPI", StringComparison.Ordinal)
            ? MpichAbi.Name
            : null;

    private static MpiAbi Bind(nint handle, string library, string version) => AbiOf(version) switch
    {
        OpenMpiAbi.Name => OpenMpiAbi.Bind(handle),
        MpichAbi.Name => MpichAbi.Bind(handle),
        _ => throw new InvalidOperationException(
            $"{library} is an MPI library this engine does not know ('{FirstLine(version)}'): it binds MPICH-ABI libraries " +
            "(MPICH, Intel MPI, MVAPICH, MS-MPI) and Open MPI 4 and 5. See docs/distributed.md."),
    };

    // The mismatches that can never work: Open MPI's mpirun serves only Open MPI, and a PMI launcher serves no Open MPI
    // library (each rank would start alone). Other combinations (an MPICH built with PMIx under srun --mpi=pmix) are
    // left to MPI_Init, after which the engine checks that MPI counted the ranks the launcher started.
    private static void RequireServedBy(Launch launch, MpiAbi abi, string library, string version, bool configured)
    {
        bool mismatch = (launch.Kind == LaunchKind.OpenMpi && abi.Name != OpenMpiAbi.Name)
                        || (launch.Kind == LaunchKind.Pmi && abi.Name == OpenMpiAbi.Name);
        if (!mismatch) return;
        string origin = configured ? $" (from {LibraryVariable})" : "";
        string fix = abi.Name == OpenMpiAbi.Name
            ? "launch with Open MPI's mpirun (mpirun.openmpi), or point DSL_MPI_LIBRARY at an MPICH-ABI library (libmpich.so.12)"
            : "launch with that library's own launcher (e.g. mpirun.mpich), or point DSL_MPI_LIBRARY at Open MPI's libmpi.so.40";
        throw new InvalidOperationException(
            $"This process was started by {launch.Launcher}, but the MPI library{origin} is {library}, '{FirstLine(version)}' " +
            $"({abi.Name}), which that launcher cannot start: {fix}. See docs/distributed.md.");
    }

    private static unsafe string ReadVersion(nint handle)
    {
        if (!NativeLibrary.TryGetExport(handle, "MPI_Get_library_version", out nint address))
            return "(no MPI_Get_library_version: an MPI older than 3.0)";
        var get = (delegate* unmanaged<byte*, int*, int>)address;
        // MPI_MAX_LIBRARY_VERSION_STRING: 8192 in MPICH, 256 in Open MPI. Callable before MPI_Init.
        var buffer = new byte[8192];
        int length;
        fixed (byte* text = buffer)
            if (get(text, &length) != 0) return "(MPI_Get_library_version failed)";
        return MpiAbi.Decode(buffer, length);
    }

    private static string FirstLine(string text)
    {
        int end = text.IndexOfAny(['\n', '\r', ',']);
        return (end < 0 ? text : text[..end]).Trim();
    }
}
