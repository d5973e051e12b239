namespace MemGate.Ranges;

/// <summary><see cref="AddressSpace.MapAny"/> found no gap large enough.</summary>
public sealed class OutOfAddressSpaceException : MemGateException
{
    /// <summary>Creates the exception for a request of <paramref name="length"/> bytes.</summary>
    public OutOfAddressSpaceException(ulong length, ulong spaceStart, ulong spaceLength)
        : base($"No free range of {length:N0} bytes (0x{length:X}) left in the address space [0x{spaceStart:X}, +0x{spaceLength:X}).")
    {
        Length = length;
    }

    /// <summary>The requested length in bytes.</summary>
    public ulong Length { get; }
}
