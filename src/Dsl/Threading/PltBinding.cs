using System.Runtime.InteropServices;
using System.Text;

namespace Dsl.Threading;

/// <summary>
/// Which function a loaded ELF library's calls to an imported symbol are bound to: the address in the library's
/// global offset table slot for that symbol, read from the library's own relocation tables in memory (glibc's
/// <c>link_map</c>, then <c>DT_JMPREL</c> and <c>DT_RELA</c>). Linux x64 only.
/// </summary>
/// <remarks>
/// With lazy binding a slot holds the PLT's own stub until the first call resolves it, so read it after the
/// library has made that call (or with <c>LD_BIND_NOW</c>).
/// </remarks>
internal static class PltBinding
{
    private const int RtldDiLinkmap = 2;
    private const long DtNull = 0, DtPltRelSize = 2, DtStrTab = 5, DtSymTab = 6, DtRela = 7, DtRelaSize = 8, DtJmpRel = 23;
    private const uint RGlobDat = 6, RJumpSlot = 7;
    private const int RelaSize = 24, SymbolSize = 24;

    /// <summary>
    /// The address the library behind <paramref name="library"/> (a <c>dlopen</c> handle) calls for
    /// <paramref name="symbol"/>, or null when it has no relocation for it (it does not import it, or calls it directly).
    /// </summary>
    public static nint? Target(nint library, string symbol)
    {
        if (library == 0 || dlinfo(library, RtldDiLinkmap, out nint linkMap) != 0 || linkMap == 0) return null;
        // struct link_map { ElfW(Addr) l_addr; char *l_name; ElfW(Dyn) *l_ld; ... }
        nint loadBase = Marshal.ReadIntPtr(linkMap, 0);
        nint dynamic = Marshal.ReadIntPtr(linkMap, 2 * IntPtr.Size);
        long jmpRel = 0, jmpRelSize = 0, rela = 0, relaSize = 0, symbols = 0, strings = 0;
        for (nint entry = dynamic; ; entry += 16)
        {
            long tag = Marshal.ReadInt64(entry), value = Marshal.ReadInt64(entry, 8);
            if (tag == DtNull) break;
            switch (tag)
            {
                case DtJmpRel: jmpRel = value; break;
                case DtPltRelSize: jmpRelSize = value; break;
                case DtRela: rela = value; break;
                case DtRelaSize: relaSize = value; break;
                case DtSymTab: symbols = value; break;
                case DtStrTab: strings = value; break;
            }
        }
        if (symbols == 0 || strings == 0) return null;
        byte[] name = Encoding.ASCII.GetBytes(symbol);
        nint symbolTable = Absolute(symbols, loadBase), stringTable = Absolute(strings, loadBase);
        foreach (var (table, size) in new[] { (jmpRel, jmpRelSize), (rela, relaSize) })
        {
            if (table == 0) continue;
            nint start = Absolute(table, loadBase);
            for (long offset = 0; offset + RelaSize <= size; offset += RelaSize)
            {
                long info = Marshal.ReadInt64(start + (nint)offset, 8);
                uint type = (uint)info;
                if (type is not (RJumpSlot or RGlobDat)) continue;
                long index = (long)((ulong)info >> 32);
                nint nameAt = stringTable + (nint)(uint)Marshal.ReadInt32(symbolTable + (nint)(index * SymbolSize));
                if (!NameIs(nameAt, name)) continue;
                long slot = Marshal.ReadInt64(start + (nint)offset);
                return Marshal.ReadIntPtr(loadBase + (nint)slot);
            }
        }
        return null;
    }

    // glibc stores the dynamic section's addresses relocated; a loader that leaves them as offsets from the load base is allowed for.
    private static nint Absolute(long address, nint loadBase) => (nint)address < loadBase ? loadBase + (nint)address : (nint)address;

    private static bool NameIs(nint at, byte[] name)
    {
        for (int i = 0; i < name.Length; i++)
            if (Marshal.ReadByte(at, i) != name[i]) return false;
        return Marshal.ReadByte(at, name.Length) == 0;
    }

#pragma warning disable SYSLIB1054 // DllImport keeps this file free of unsafe code
    [DllImport("libc")]
    private static extern int dlinfo(nint handle, int request, out nint info);
#pragma warning restore SYSLIB1054
}
