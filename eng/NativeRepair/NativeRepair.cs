// The native-library repair (DESIGN.md §6), compiled by MSBuild's RoslynCodeTaskFactory at build
// time, so users install nothing. TorchSharp 0.107.0's libLibTorchSharp.so asks for GLIBCXX_3.4.32
// (GCC 13's libstdc++), whose only symbol is the link-time marker std::ios_base_library_init().
// Debian 12 and Ubuntu 22.04 ship 3.4.30, so the dynamic loader refuses the library. Marking that
// version requirement weak (VER_FLG_WEAK in its Vernaux entry) lets the loader accept a libstdc++
// without it. We change only our own output copies, never the NuGet cache, and only where the
// system's libstdc++ lacks the version.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Dsl.Build
{
    /// <summary>Reads and edits the version-needs section (.gnu.version_r) of a 64-bit little-endian ELF file.</summary>
    public static class ElfVersionNeeds
    {
        private const uint SHT_GNU_verneed = 0x6ffffffe;
        private const ushort VER_FLG_WEAK = 0x2;

        /// <summary>The outcome of <see cref="MarkWeak"/>.</summary>
        public enum Result { Patched, AlreadyWeak, NotRequired }

        /// <summary>Flags of the requirement on <paramref name="version"/>, or null when the file does not ask for it.</summary>
        public static ushort? FlagsOf(byte[] elf, string version)
        {
            int at = Find(elf, version, "<memory>");
            return at < 0 ? (ushort?)null : BitConverter.ToUInt16(elf, at + 4);
        }

        /// <summary>Sets VER_FLG_WEAK on the requirement on <paramref name="version"/>, in memory.</summary>
        public static Result MarkWeak(byte[] elf, string version, string path)
        {
            int at = Find(elf, version, path);
            if (at < 0) return Result.NotRequired;
            ushort flags = BitConverter.ToUInt16(elf, at + 4);
            if ((flags & VER_FLG_WEAK) != 0) return Result.AlreadyWeak;
            flags |= VER_FLG_WEAK;
            elf[at + 4] = (byte)flags;
            elf[at + 5] = (byte)(flags >> 8);
            return Result.Patched;
        }

        /// <summary>True when a shared library (e.g. libstdc++.so.6) defines <paramref name="version"/>.</summary>
        public static bool Defines(string library, string version)
        {
            byte[] bytes = File.ReadAllBytes(library);
            byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
            return IndexOf(bytes, needle) >= 0;
        }

        // Returns the offset of the Vernaux entry naming `version`, or -1.
        private static int Find(byte[] elf, string version, string path)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException($"{path}: not an ELF file.");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException($"{path}: only 64-bit little-endian ELF files are supported (class {elf[4]}, data {elf[5]}).");

            long shoff = BitConverter.ToInt64(elf, 0x28);
            int shentsize = BitConverter.ToUInt16(elf, 0x3A);
            int shnum = BitConverter.ToUInt16(elf, 0x3C);
            if (shoff <= 0 || shoff + (long)shentsize * shnum > elf.Length)
                throw new InvalidDataException($"{path}: the section header table lies outside the file.");

            for (int i = 0; i < shnum; i++)
            {
                int sh = checked((int)(shoff + (long)i * shentsize));
                if (BitConverter.ToUInt32(elf, sh + 4) != SHT_GNU_verneed) continue;

                int offset = checked((int)BitConverter.ToInt64(elf, sh + 0x18));
                int link = (int)BitConverter.ToUInt32(elf, sh + 0x28);
                int count = (int)BitConverter.ToUInt32(elf, sh + 0x2C); // sh_info: number of Verneed entries
                int strtab = checked((int)BitConverter.ToInt64(elf, checked((int)(shoff + (long)link * shentsize)) + 0x18));

                int need = offset;
                for (int n = 0; n < count; n++)
                {
                    int auxCount = BitConverter.ToUInt16(elf, need + 2);
                    int aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        int name = strtab + (int)BitConverter.ToUInt32(elf, aux + 8);
                        if (NameEquals(elf, name, version)) return aux;
                        aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                    }
                    need += (int)BitConverter.ToUInt32(elf, need + 12);
                }
            }
            return -1;
        }

        private static bool NameEquals(byte[] elf, int at, string name)
        {
            if (at < 0 || at + name.Length >= elf.Length) return false;
            for (int i = 0; i < name.Length; i++)
                if (elf[at + i] != (byte)name[i]) return false;
            return elf[at + name.Length] == 0;
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i <= haystack.Length - needle.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return i;
            }
            return -1;
        }
    }

    /// <summary>Where the dynamic loader would find libstdc++.so.6 on this machine.</summary>
    public static class SystemLibStdCxx
    {
        public static string? Locate()
        {
            var dirs = new List<string>();
            string? ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ld)) dirs.AddRange(ld.Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries));
            dirs.AddRange(new[]
            {
                "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib",
            });
            foreach (string dir in dirs)
            {
                string candidate = Path.Combine(dir, "libstdc++.so.6");
                if (File.Exists(candidate)) return candidate;
            }
            return null;
        }
    }
}

#if !DSL_NATIVE_REPAIR_TESTS
namespace Dsl.Build
{
    /// <summary>MSBuild task: marks GLIBCXX_3.4.32 weak in the given copies of libLibTorchSharp.so.</summary>
    public sealed class RepairTorchSharpNative : Microsoft.Build.Utilities.Task
    {
        public const string Version = "GLIBCXX_3.4.32";

        /// <summary>The output copies to repair.</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>Repair even where the system libstdc++ has the version (for tests).</summary>
        public bool Force { get; set; }

        public override bool Execute()
        {
            if (Libraries.Length == 0) return true;
            if (!Force)
            {
                string? libstdcxx = SystemLibStdCxx.Locate();
                if (libstdcxx != null && ElfVersionNeeds.Defines(libstdcxx, Version))
                {
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                        $"Dsl: {libstdcxx} provides {Version}; libLibTorchSharp.so needs no repair.");
                    return true;
                }
            }

            foreach (var item in Libraries)
            {
                string path = item.GetMetadata("FullPath");
                try
                {
                    byte[] bytes = File.ReadAllBytes(path);
                    var result = ElfVersionNeeds.MarkWeak(bytes, Version, path);
                    if (result != ElfVersionNeeds.Result.Patched) continue;

                    // Write a new file and move it over the old one: the output copy may be a hard link
                    // or symbolic link into the NuGet cache, which must stay untouched. Keep the
                    // timestamp so incremental builds do not copy the library again.
                    DateTime stamp = File.GetLastWriteTimeUtc(path);
                    string temp = path + ".dsl-repair.tmp";
                    File.WriteAllBytes(temp, bytes);
                    File.SetLastWriteTimeUtc(temp, stamp);
                    File.Delete(path);
                    File.Move(temp, path);
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                        $"Dsl: marked {Version} weak in {path} (the system libstdc++ lacks it; see eng/NativeRepair.targets).");
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is InvalidDataException)
                {
                    Log.LogError($"Dsl: could not repair {path}: {e.Message}");
                    return false;
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
}
#endif
