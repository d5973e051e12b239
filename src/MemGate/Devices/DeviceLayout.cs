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
    private DeviceAddressIndex? _index;

    /// <summary>The address index over these regions and peripherals, built on first use.</summary>
    public DeviceAddressIndex Index => _index ??= new DeviceAddressIndex(Regions, Peripherals, Spaces);

    public DeviceRegion? FindRegion(string name) => Regions.FirstOrDefault(r => r.Name == name);

    public DeviceRegion? RegionAt(ulong address, string space) => Index.RegionAt(address, space);
}
