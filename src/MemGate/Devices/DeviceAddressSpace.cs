namespace MemGate.Devices;

/// <summary>
/// One address space of a device. Most parts have one; AVR parts keep program memory, data memory
/// and EEPROM in separate spaces where the same address means different bytes.
/// </summary>
/// <param name="Name">Unique name regions refer to (for example "main", "program", "data").</param>
/// <param name="AddressWidth">Address bits, 8 to 64.</param>
/// <param name="Description">What the space holds, or empty.</param>
public sealed record DeviceAddressSpace(string Name, int AddressWidth, string Description = "")
{
    /// <summary>The highest address of the space.</summary>
    public ulong MaxAddress => AddressWidth >= 64 ? ulong.MaxValue : (1UL << AddressWidth) - 1;

    /// <summary>An address of this space in hex with as many digits as the space needs (at least four): "0x08FF", "0x20000000".</summary>
    public string Format(ulong address) => FormatAddress(address, AddressWidth);

    /// <summary>An address in hex with the digits an <paramref name="addressWidth"/>-bit space needs (at least four).</summary>
    public static string FormatAddress(ulong address, int addressWidth) =>
        "0x" + address.ToString("X" + Math.Max(4, (addressWidth + 3) / 4).ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
}
