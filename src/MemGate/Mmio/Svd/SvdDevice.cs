namespace MemGate.Mmio.Svd;

/// <summary>What an SVD file describes: the device's name and its peripherals.</summary>
/// <param name="Name">The device name from the SVD.</param>
/// <param name="Peripherals">Peripherals in file order, derived ones and array elements included.</param>
public sealed record SvdDevice(string Name, IReadOnlyList<SvdPeripheral> Peripherals)
{
    /// <summary>The file it was read from.</summary>
    public string File { get; init; } = "";

    /// <summary>The peripheral called <paramref name="name"/>, or null.</summary>
    public SvdPeripheral? Find(string name) => Peripherals.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
