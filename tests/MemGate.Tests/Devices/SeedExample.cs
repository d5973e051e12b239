namespace MemGate.Tests.Devices;

/// <summary>The device file from the seed's README, shared by the tests that load it.</summary>
internal static class SeedExample
{
    /// <summary>The seed's README example, unchanged (also examples/devices/device.toml).</summary>
    public const string Toml = """
        [device]
        name = "MyDevice"
        description = "Custom device configuration"

        [memory]
        allocate_at_once = true
        page_size = "4KB"
        address_spaces = 1

        [[regions]]
        name = "RAM"
        guest_address = "0x00000000"
        size = "1MB"
        permissions = "RW"
        type = "ram"

        [[regions]]
        name = "Flash"
        guest_address = "0x80000000"
        size = "64MB"
        permissions = "RX"
        type = "flash"
        """;
}
