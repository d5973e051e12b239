namespace MemGate.Firmware;

/// <summary>Bytes of an image that go to one guest address range.</summary>
/// <param name="Address">Guest address of the first byte.</param>
/// <param name="Data">The bytes (zero-filled where an ELF segment's memory size exceeds its file size).</param>
/// <param name="Origin">Where in the file it came from, for messages: "segment 2", "line 14".</param>
public sealed record FirmwareSegment(ulong Address, byte[] Data, string Origin)
{
    /// <summary>One past the last address (never wraps: readers reject segments past 2^64).</summary>
    public ulong End => Address + (ulong)Data.LongLength;
}
