namespace MemGate.Ranges;

/// <summary>
/// Told about each piece of existing mapping an <see cref="AddressSpace"/> operation changes:
/// its byte address and length and the information it had before. This is where a caller performs
/// the real munmap / mprotect, as with libmmap's <c>UpdateFn</c>.
/// </summary>
public delegate void MapUpdateCallback(ulong address, ulong length, MapInfo previous);
