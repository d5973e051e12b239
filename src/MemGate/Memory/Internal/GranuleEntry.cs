using System.Runtime.InteropServices;

namespace MemGate.Memory.Internal;

/// <summary>
/// One entry of a <see cref="GranuleTable"/>: a host-backed region as the hot path needs it. An access
/// at guest address a of at most 8 bytes may use the entry when a - <see cref="Start"/> (unsigned, so an
/// address below the region wraps to a huge offset) is below the limit of its kind; the host address is
/// a + <see cref="Delta"/>. A limit is the region's length minus 7 (so 8 bytes always fit; the last 7
/// bytes take the slow path) or 0 when the region denies that kind. 32 bytes: never across a cache line.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GranuleEntry
{
    public ulong Start;
    public ulong ReadLimit;
    public ulong WriteLimit;
    public ulong Delta;     // host = guest + Delta (mod 2^64)
}
