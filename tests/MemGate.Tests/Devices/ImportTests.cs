using MemGate.Devices;
using MemGate.Devices.Import;
using MemGate.Memory;

namespace MemGate.Tests.Devices;

public sealed class ImportTests
{
    private static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    [Fact]
    public void Fuzzware_config_with_include_symbols_and_boot()
    {
        var device = FuzzwareImporter.Import(Fixture("fuzzware", "sample", "config.yml"));
        Assert.Equal(["irq_ret", "nvic", "text", "ram", "mmio"], device.Regions.Select(r => r.Name));
        var text = device.FindRegion("text")!;
        // Resolved as Fuzzware resolves it; writers make it relative to where the device file goes.
        Assert.Equal((0x0800_0000UL, 0x20000UL, Permissions.ReadExecute, DeviceRegionType.Flash, Fixture("fuzzware", "sample", "firmware.bin")),
            (text.Start, text.Size, text.Permissions, text.Type, text.InitFile));
        Assert.Equal(DeviceRegionType.Mmio, device.FindRegion("mmio")!.Type);
        Assert.Equal(DeviceRegionType.Mmio, device.FindRegion("nvic")!.Type);
        Assert.Equal(Permissions.Execute, device.FindRegion("irq_ret")!.Permissions);
        Assert.Equal(new DeviceBoot(0x0800_0101, 0x2000_5000, 0x0800_0000), device.Boot);
        Assert.Equal([new DeviceSymbol("Reset_Handler", 0x0800_0100), new DeviceSymbol("main", 0x0800_0200)], device.Symbols);

        using var memory = DeviceMemory.Allocate(device, Path.GetDirectoryName(Fixture("fuzzware", "sample", "config.yml")));
        Assert.Equal(0x2000_5000U, memory.Main.ReadUInt32(new GuestAddress(0x0800_0000))); // the file was loaded
    }

    [Fact]
    public void Halucinator_memory_file()
    {
        var device = HalucinatorImporter.Import(Fixture("halucinator", "memory.yaml"));
        Assert.Equal(["alias", "flash", "ram", "logger"], device.Regions.Select(r => r.Name));
        Assert.Equal(DeviceRegionType.Flash, device.FindRegion("alias")!.Type);
        Assert.Equal(Permissions.All, device.FindRegion("ram")!.Permissions);
        var logger = Assert.Single(device.Peripherals);
        // HALucinator's emulate class is not a MemGate model: it is kept in the region's description.
        Assert.Equal(("logger", 0x4000_0000UL, 0x2000_0000UL, null), (logger.Name, logger.Base, logger.Size, logger.Model));
        Assert.Contains("HALucinator emulate GenericPeripheral", device.FindRegion("logger")!.Description, StringComparison.Ordinal);
    }

    // HALucinator's machine block (hal_config.py's HALMachineConfig): the core, where it starts, its stack and VTOR;
    // sections MemGate does not take are named in warnings, not dropped silently.
    [Fact]
    public void Halucinator_machine_block_gives_the_boot_and_other_sections_are_named()
    {
        string dir = Directory.CreateTempSubdirectory("memgate-import").FullName;
        try
        {
            string path = Path.Combine(dir, "memory.yaml");
            File.WriteAllText(path, """
                machine:
                  arch: cortex-m3
                  cpu_model: cortex-m4
                  entry_addr: 0x8000199
                  init_sp: 0x20014000
                  vector_base: 0x8000000
                  gdb_exe: gdb-multiarch
                  turbo: 1
                memories:
                  flash: {base_addr: 0x8000000, size: 0x10000}
                  ram: {base_addr: 0x20000000, size: 0x14000}
                intercepts:
                  - class: halucinator.bp_handlers.SkipFunc
                    function: HAL_Delay
                """);
            var device = HalucinatorImporter.Import(path);
            Assert.Equal("cortex-m4", device.Cpu);
            Assert.Equal(new DeviceBoot(0x0800_0199, 0x2001_4000, 0x0800_0000), device.Boot);
            Assert.Contains(device.Warnings, w => w.Field == "intercepts" && w.Location?.Line is 12 or 13);
            Assert.Contains(device.Warnings, w => w.Field == "machine.turbo");
            Assert.DoesNotContain(device.Warnings, w => w.Field == "machine.gdb_exe");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Import_errors_name_the_file_line_and_entry()
    {
        string dir = Directory.CreateTempSubdirectory("memgate-import").FullName;
        string path = Path.Combine(dir, "memory.yaml");
        File.WriteAllText(path, """
            memories:
              flash: {base_addr: 0x8000000, size: 0x200000}
              ram: {base_addr: 0x8100000, size: 0x200000}
              rom: {base_addr: zero, size: 0x1000}
            """);
        var e = Assert.Throws<DeviceDescriptionException>(() => HalucinatorImporter.Import(path));
        var problem = Assert.Single(e.Diagnostics);
        Assert.Equal(("memories.rom.base_addr", 4), (problem.Field, problem.Location?.Line));

        File.WriteAllText(path, """
            memories:
              flash: {base_addr: 0x8000000, size: 0x200000}
              ram: {base_addr: 0x8100000, size: 0x200000}
            """);
        e = Assert.Throws<DeviceDescriptionException>(() => HalucinatorImporter.Import(path));
        problem = Assert.Single(e.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(("ram.guest_address", 3), (problem.Field, problem.Location?.Line));
        Assert.Contains("overlaps region 'flash'", problem.Message);
    }
}
