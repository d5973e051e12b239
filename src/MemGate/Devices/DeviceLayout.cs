namespace MemGate.Devices;

/// <summary>The parts of a device description that validation checks, before they make a <see cref="DeviceDescription"/>.</summary>
internal sealed record DeviceLayout(
    string Name,
    IReadOnlyList<DeviceRegion> Regions,
    IReadOnlyList<DeviceAddressSpace> Spaces,
    IReadOnlyList<DevicePeripheral> Peripherals,
    ulong PageSize,
    DeviceBoot Boot,
    IReadOnlyList<DeviceSymbol> Symbols,
    IReadOnlyList<DeviceRule> Rules)
{
    public DeviceRegion? FindRegion(string name) => Regions.FirstOrDefault(r => r.Name == name);

    public DeviceRegion? RegionAt(ulong address, string space) =>
        Regions.FirstOrDefault(r => r.Space == space && address >= r.Start && address - r.Start < r.Size);
}
