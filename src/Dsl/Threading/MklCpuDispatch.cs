using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Dsl.Threading;

/// <summary>
/// Lets the MKL inside libtorch use its AVX2/AVX-512 kernels on AMD processors.
/// </summary>
/// <remarks>
/// <para>libtorch's CPU build carries oneMKL 2024, which picks its matrix-product kernels by asking
/// <c>mkl_serv_intel_cpu_true()</c> whether the processor is Intel's; on an AMD EPYC the answer is
/// no and MKL runs a generic path: sgemm 2048³ ran at ~45 GFLOP/s on 2 cores here, below OpenBLAS's
/// AVX2 kernels, and with the function answering yes at ~80 GFLOP/s, which made BERT-mini training
/// steps ~2× faster (docs/benchmarks.md, "BLAS"). The kernels MKL then picks are chosen by the CPUID
/// feature bits the processor reports, so they only use instructions it has.</para>
/// <para>libtorch exports that function and calls it through its PLT, so a definition that the
/// dynamic linker sees first wins. This writes a 4 KiB shared object holding only
/// <c>int mkl_serv_intel_cpu_true(void) { return 1; }</c> (generated here, byte by byte, so nothing is
/// compiled or shipped) into an anonymous memory file and loads it <c>RTLD_GLOBAL</c> before libtorch
/// loads. Only on Linux x64 with an AMD processor; <c>DSL_MKL_CPU_DISPATCH=0</c> turns it off.</para>
/// <para>That a definition loaded first wins is a fact of one libtorch build, so <see cref="CheckEffect"/> checks it
/// once libtorch is loaded: it reads which function libtorch's call is bound to.</para>
/// </remarks>
public static partial class MklCpuDispatch
{
    /// <summary>Set to <c>0</c> to leave MKL's own processor check alone, <c>1</c> to override it outside the validated TorchSharp and libtorch versions.</summary>
    public const string OptOut = "DSL_MKL_CPU_DISPATCH";

    /// <summary>The symbol the generated library defines.</summary>
    public const string Symbol = "mkl_serv_intel_cpu_true";

    /// <summary>True when the override was loaded in this process.</summary>
    public static bool Loaded { get; private set; }

    // The override's dlopen handle: where its function is, for the check.
    private static nint _handle;

    /// <summary>True on the processors the override is for: x64 Linux, vendor AuthenticAMD.</summary>
    public static bool Applies =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64 && Vendor() == "AuthenticAMD";

    /// <summary>Loads the override when it applies and the user has not opted out. Effective only before libtorch loads.</summary>
    public static void Apply()
    {
        if (Loaded || !Applies || ThreadingDefaults.NativeGet(OptOut) == "0") return;
        try
        {
            _handle = Load(SharedObject());
            Loaded = _handle != 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or IOException or UnauthorizedAccessException)
        {
            // Without the override MKL still works, on its generic path.
        }
    }

    private static string Vendor()
    {
        if (!X86Base.IsSupported) return "";
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<byte> name = stackalloc byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(name, ebx);
        BinaryPrimitives.WriteInt32LittleEndian(name[4..], edx);
        BinaryPrimitives.WriteInt32LittleEndian(name[8..], ecx);
        return Encoding.ASCII.GetString(name);
    }

    private static nint Load(byte[] image)
    {
        const int RtldNow = 2, RtldGlobal = 0x100;
        int fd = memfd_create("dsl-mkl-cpu-dispatch", 0);
        string path;
        if (fd >= 0)
        {
            using (var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false), FileAccess.Write))
                stream.Write(image);
            path = $"/proc/self/fd/{fd}";
        }
        else
        {
            path = Path.Combine(Path.GetTempPath(), $"dsl-mkl-cpu-dispatch-{Environment.ProcessId}.so");
            File.WriteAllBytes(path, image);
        }
        nint handle = dlopen(path, RtldNow | RtldGlobal);
        if (fd >= 0) _ = close(fd);   // the mapping stays valid
        else File.Delete(path);
        return handle;
    }

    /// <summary>
    /// A minimal ELF64 x86-64 shared object: two loadable segments (headers, symbol tables and code
    /// read-execute; the dynamic section read-write, since the dynamic linker adjusts it), a SysV hash
    /// table with one bucket, and one global function, <see cref="Symbol"/>: <c>mov eax, 1; ret</c>.
    /// </summary>
    internal static byte[] SharedObject()
    {
        const int phdrs = 4, hash = 0x120, dynsym = 0x138, dynstr = 0x168, code = 0x190, dynamic = 0x1000;
        byte[] name = Encoding.ASCII.GetBytes(Symbol);
        int strsz = name.Length + 2;
        var image = new byte[dynamic + 6 * 16];
        void U16(int at, int v) => BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(at), (ushort)v);
        void U32(int at, long v) => BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(at), (uint)v);
        void U64(int at, long v) => BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(at), (ulong)v);

        // ELF header: 64-bit, little-endian, ET_DYN, EM_X86_64, program headers at 64.
        image[0] = 0x7F; image[1] = (byte)'E'; image[2] = (byte)'L'; image[3] = (byte)'F';
        image[4] = 2; image[5] = 1; image[6] = 1;
        U16(16, 3); U16(18, 62); U32(20, 1); U64(32, 64);
        U16(52, 64); U16(54, 56); U16(56, phdrs); U16(58, 64);

        // Program headers: type, flags, offset, vaddr, paddr, filesz, memsz, align.
        void Segment(int index, uint type, uint flags, long offset, long size, long align)
        {
            int at = 64 + index * 56;
            U32(at, type); U32(at + 4, flags); U64(at + 8, offset); U64(at + 16, offset); U64(at + 24, offset);
            U64(at + 32, size); U64(at + 40, size); U64(at + 48, align);
        }
        Segment(0, 1, 5, 0, code + 6, 0x1000);                  // PT_LOAD, R+X
        Segment(1, 1, 6, dynamic, 6 * 16, 0x1000);              // PT_LOAD, R+W
        Segment(2, 2, 6, dynamic, 6 * 16, 8);                   // PT_DYNAMIC
        Segment(3, 0x6474E551, 6, 0, 0, 16);                    // PT_GNU_STACK: no executable stack

        // SysV hash: one bucket pointing at symbol 1, chains ending at 0.
        U32(hash, 1); U32(hash + 4, 2); U32(hash + 8, 1);

        // Symbols: the null symbol, then the function (global, STT_FUNC, defined, 6 bytes).
        int symbol = dynsym + 24;
        U32(symbol, 1); image[symbol + 4] = 0x12; U16(symbol + 6, 1); U64(symbol + 8, code); U64(symbol + 16, 6);

        name.CopyTo(image, dynstr + 1);
        new byte[] { 0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3 }.CopyTo(image, code);   // mov eax, 1; ret

        // Dynamic section: DT_HASH, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT, DT_NULL.
        long[] entries = [4, hash, 5, dynstr, 6, dynsym, 10, strsz, 11, 24, 0, 0];
        for (int i = 0; i < entries.Length; i++) U64(dynamic + i * 8, entries[i]);
        return image;
    }

#pragma warning disable SYSLIB1054 // DllImport keeps this file free of unsafe code
    [DllImport("libc")]
    private static extern int memfd_create([MarshalAs(UnmanagedType.LPUTF8Str)] string name, uint flags);

    [DllImport("libc")]
    private static extern int close(int fd);

    [DllImport("libc")]
    private static extern nint dlopen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
#pragma warning restore SYSLIB1054
}
