using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>
/// Exact instruction counting without a managed call per translated block. Unicorn calls
/// <see cref="Stub"/> (a few x86-64 instructions, generated once into an executable page) at every block
/// with this structure as its user data: it looks the block up in a direct-mapped table of instruction
/// counts, adds the count and records the block, and tail-calls <see cref="Slow"/> (managed) only on a
/// table miss or when <see cref="Instructions"/> reaches <see cref="Budget"/>, the count at which the
/// machine next needs to look (a timer tick, a pending interrupt; 0 = at the next block). Every block
/// entered also adds one to <see cref="Blocks"/> (Fuzzware's clock, which ticks per basic block), except
/// blocks of the owner's own code (a halt page, exception-entry helpers): those never enter the table, so
/// the stub adds one on a table hit and the slow path decides on a miss, which keeps the fast path as it was.
/// </summary>
/// <remarks>The field offsets are part of the stub's code: change both together.</remarks>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BlockCounter
{
    /// <summary>Table size (entries); the stub masks the slot with <see cref="TableSize"/> - 1.</summary>
    public const int TableSize = 4096;

    public ulong Instructions;   // +0
    public ulong Budget;         // +8
    public nint Slow;            // +16: void (uc_engine*, ulong address, uint size, BlockCounter*)
    public ulong* Keys;          // +24: per slot, address ^ size << 48 ^ 1 (0: empty)
    public uint* Counts;         // +32: per slot, the block's instruction count
    public ulong BeforeBlock;    // +40: Instructions before the last block entered
    public ulong BlockAddress;   // +48: the last block entered
    public uint BlockSize;       // +56
    public uint BlockCount;      // +60
    public nint Owner;           // +64: for the slow path (a GCHandle)
    public ulong Blocks;         // +72: blocks entered: by the stub on a hit, by the slow path on a miss of a block not excluded

    /// <summary>The table slot and key of a block, as the stub computes them.</summary>
    public static (int Slot, ulong Key) Locate(ulong address, uint size) =>
        ((int)((address >> 1) & (TableSize - 1)), address ^ ((ulong)size << 48) ^ 1);

    /// <summary>The block hook for <c>uc_hook_add(UC_HOOK_BLOCK)</c> (System V x86-64).</summary>
    public static nint Stub => LazyStub.Value;

    private static readonly Lazy<nint> LazyStub = new(Build);

    // mov edx,edx; mov rax,rsi; shr rax,1; and eax,0xFFF; mov r8,rdx; shl r8,48; xor r8,rsi; xor r8,1
    // mov r9,[rcx+24]; cmp [r9+rax*8],r8; jne slow; inc qword [rcx+72]; mov r9,[rcx+32]; mov r9d,[r9+rax*4]
    // mov r10,[rcx]; mov [rcx+40],r10; mov [rcx+48],rsi; mov [rcx+56],edx; mov [rcx+60],r9d
    // add r10,r9; mov [rcx],r10; cmp r10,[rcx+8]; jae slow; ret; slow: jmp [rcx+16]
    private static ReadOnlySpan<byte> Code =>
    [
        0x89, 0xd2, 0x48, 0x89, 0xf0, 0x48, 0xd1, 0xe8, 0x25, 0xff, 0x0f, 0x00,
        0x00, 0x49, 0x89, 0xd0, 0x49, 0xc1, 0xe0, 0x30, 0x49, 0x31, 0xf0, 0x49,
        0x83, 0xf0, 0x01, 0x4c, 0x8b, 0x49, 0x18, 0x4d, 0x39, 0x04, 0xc1, 0x75,
        0x2b, 0x48, 0xff, 0x41, 0x48, 0x4c, 0x8b, 0x49, 0x20, 0x45, 0x8b, 0x0c,
        0x81, 0x4c, 0x8b, 0x11, 0x4c, 0x89, 0x51, 0x28, 0x48, 0x89, 0x71, 0x30,
        0x89, 0x51, 0x38, 0x44, 0x89, 0x49, 0x3c, 0x4d, 0x01, 0xca, 0x4c, 0x89,
        0x11, 0x4c, 0x3b, 0x51, 0x08, 0x73, 0x01, 0xc3, 0xff, 0x61, 0x10,
    ];

    private static nint Build() => ExecutableCode.Place(Code, "The block counter's stub");   // lives as long as the process: engines share it
}
