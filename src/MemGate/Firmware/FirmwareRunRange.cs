namespace MemGate.Firmware;

/// <summary>
/// Where part of an image runs when that is not where it is stored: an ELF segment whose virtual address differs from its
/// load address (.data kept in flash and copied to RAM by the start-up code, .bss cleared there; a segment with nothing
/// stored, such as .bss alone, too).
/// </summary>
/// <param name="Address">Where it runs (the segment's virtual address).</param>
/// <param name="Size">Its size in memory.</param>
/// <param name="StoredAt">Where it is stored (its load address).</param>
/// <param name="Origin">Where in the file it came from, for messages: "segment 2".</param>
public sealed record FirmwareRunRange(ulong Address, ulong Size, ulong StoredAt, string Origin);
