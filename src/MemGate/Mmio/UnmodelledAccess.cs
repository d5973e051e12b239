namespace MemGate.Mmio;

/// <summary>An access to a peripheral where no register is modelled (kept under <see cref="UnmodelledAccessPolicy.Record"/>).</summary>
/// <param name="Offset">Byte offset in the block.</param>
/// <param name="Size">Bytes accessed.</param>
/// <param name="IsWrite">Whether it was a write.</param>
/// <param name="Value">The value written (0 for reads).</param>
public readonly record struct UnmodelledAccess(ulong Offset, int Size, bool IsWrite, ulong Value);
