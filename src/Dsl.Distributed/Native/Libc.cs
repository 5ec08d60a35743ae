using System.Runtime.InteropServices;

namespace Dsl.Distributed.Native;

/// <summary>The three C library calls the engine needs before MPI starts (glibc 2.34+ has dlopen in libc).</summary>
internal static partial class Libc
{
    private const int RtldNow = 0x2, RtldGlobal = 0x100;   // <dlfcn.h> on Linux

    /// <summary>
    /// dlopen with RTLD_GLOBAL: Open MPI loads its components (mca_pml_ob1.so, ...) as plugins that are not linked
    /// against libmpi and find its symbols only in the global namespace (mpi4py loads MPI the same way);
    /// NativeLibrary.Load would open it RTLD_LOCAL. Returns 0 and the loader's message when it fails.
    /// </summary>
    public static nint OpenGlobal(string library, out string? error)
    {
        if (!OperatingSystem.IsLinux())
        {
            error = NativeLibrary.TryLoad(library, out nint loaded) ? null : "not found";
            return loaded;
        }
        nint handle = dlopen(library, RtldNow | RtldGlobal);
        error = handle == 0 ? Marshal.PtrToStringUTF8(dlerror()) : null;
        return handle;
    }

    /// <summary>Sets a variable in the process's native environment (which the MPI library reads) unless it is set already.</summary>
    public static void SetDefault(string name, string value)
    {
        if (OperatingSystem.IsLinux()) _ = setenv(name, value, 0);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint dlopen(string file, int mode);

    [LibraryImport("libc")]
    private static partial nint dlerror();

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
