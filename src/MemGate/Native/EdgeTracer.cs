using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>
/// AFL-style edge coverage without a managed call: Unicorn calls <see cref="Stub"/> (x86-64, generated
/// once into an executable page) at every block with this structure as its user data; it hashes the
/// block's address, bumps the byte of the map at <c>hash ^ Previous</c> and keeps <c>hash &gt;&gt; 1</c> as
/// <see cref="Previous"/> (so A→B and B→A differ, as in AFL). The map may be AFL's own shared memory.
/// </summary>
/// <remarks>The field offsets are part of the stub's code: change both together.</remarks>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct EdgeTracer
{
    public byte* Map;        // +0
    public ulong Previous;   // +8
    public ulong Mask;       // +16: map size - 1 (a power of two)

    /// <summary>The block hook for <c>uc_hook_add(UC_HOOK_BLOCK)</c> (System V x86-64).</summary>
    public static nint Stub => LazyStub.Value;

    /// <summary>The map index a block at <paramref name="address"/> hashes to, as the stub computes it (for tests).</summary>
    public static ulong Hash(ulong address, ulong mask) => ((address >> 1) ^ (address >> 13)) & mask;

    private static readonly Lazy<nint> LazyStub = new(Build);

    // mov rax,rsi; shr rax,1; mov r8,rsi; shr r8,13; xor rax,r8; and rax,[rcx+16]; mov r8,rax; xor r8,[rcx+8]
    // mov r9,[rcx]; inc byte [r9+r8]; shr rax,1; mov [rcx+8],rax; ret
    private static ReadOnlySpan<byte> Code =>
    [
        0x48, 0x89, 0xf0, 0x48, 0xd1, 0xe8, 0x49, 0x89, 0xf0, 0x49, 0xc1, 0xe8, 0x0d, 0x4c, 0x31, 0xc0,
        0x48, 0x23, 0x41, 0x10, 0x49, 0x89, 0xc0, 0x4c, 0x33, 0x41, 0x08, 0x4c, 0x8b, 0x09, 0x43, 0xfe,
        0x04, 0x01, 0x48, 0xd1, 0xe8, 0x48, 0x89, 0x41, 0x08, 0xc3,
    ];

    private static nint Build()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException("The edge tracer's stub is x86-64 code; MemGate runs firmware on Linux x86-64.");
        }
        const ulong Page = 4096;
        nint page = Libc.MmapOrThrow(0, Page, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapAnonymous);
        Code.CopyTo(new Span<byte>((void*)page, Code.Length));
        Libc.MprotectOrThrow(page, Page, Libc.ProtRead | Libc.ProtExec);
        return page;   // lives as long as the process: engines share it
    }
}
