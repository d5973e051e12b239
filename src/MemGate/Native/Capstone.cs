using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>
/// The Capstone disassembler (Debian's <c>libcapstone4</c> or <c>libcapstone5</c>), optional: found at run time
/// (the file <c>MEMGATE_CAPSTONE</c> names, else <c>libcapstone.so.5</c>, else <c>libcapstone.so.4</c>) and
/// called through function pointers, so MemGate runs without it and traces show raw bytes instead.
/// </summary>
internal static unsafe class Capstone
{
    public const int ArchArm = 0;
    public const int ArchArm64 = 1;
    public const int ArchRiscv = 15;            // Capstone 5 only
    public const int ModeThumb = 1 << 4;
    public const int ModeMClass = 1 << 5;
    public const int ModeRiscv32 = 1 << 0;
    public const int ModeRiscv64 = 1 << 1;
    public const int ModeRiscvCompressed = 1 << 2;

    private static readonly Lazy<Functions?> Loaded = new(Load);

    /// <summary>The entry points, or null when no Capstone library can be loaded here.</summary>
    public static Functions? Library => Loaded.Value;

    /// <summary>What MemGate calls, and where cs_insn keeps its text in this version.</summary>
    internal sealed class Functions
    {
        public required delegate* unmanaged<int, int, nuint*, int> Open { get; init; }
        public required delegate* unmanaged<nuint*, int> Close { get; init; }
        public required delegate* unmanaged<nuint, byte*, nuint, ulong, nuint, nint*, nuint> Disassemble { get; init; }
        public required delegate* unmanaged<nint, nuint, void> Free { get; init; }

        /// <summary>Capstone's major version.</summary>
        public required int Major { get; init; }

        /// <summary>Offset of cs_insn.mnemonic (after id, address, size and bytes[16] in 4.x, bytes[24] in 5.x); op_str follows 32 bytes later.</summary>
        public int MnemonicOffset => Major >= 5 ? 42 : 34;
    }

    private static Functions? Load()
    {
        string? chosen = Environment.GetEnvironmentVariable("MEMGATE_CAPSTONE");
        string[] names = string.IsNullOrEmpty(chosen) ? ["libcapstone.so.5", "libcapstone.so.4"] : [chosen];
        foreach (string name in names)
        {
            if (!NativeLibrary.TryLoad(name, out nint library))
            {
                continue;
            }
            if (!NativeLibrary.TryGetExport(library, "cs_version", out nint version) || !NativeLibrary.TryGetExport(library, "cs_open", out nint open)
                || !NativeLibrary.TryGetExport(library, "cs_close", out nint close) || !NativeLibrary.TryGetExport(library, "cs_disasm", out nint disasm)
                || !NativeLibrary.TryGetExport(library, "cs_free", out nint free))
            {
                continue;
            }
            int major, minor;
            ((delegate* unmanaged<int*, int*, uint>)version)(&major, &minor);
            if (major is < 4 or > 5)
            {
                continue;   // a cs_insn layout this code does not know
            }
            return new Functions
            {
                Open = (delegate* unmanaged<int, int, nuint*, int>)open,
                Close = (delegate* unmanaged<nuint*, int>)close,
                Disassemble = (delegate* unmanaged<nuint, byte*, nuint, ulong, nuint, nint*, nuint>)disasm,
                Free = (delegate* unmanaged<nint, nuint, void>)free,
                Major = major,
            };
        }
        return null;
    }
}
