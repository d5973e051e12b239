using MemGate.Devices;
using MemGate.Firmware;
using MemGate.Memory;

namespace MemGate.Tests.Firmware;

/// <summary>The ELF header facts on the image, and <see cref="ImageCompatibility"/> on the flags the CLI tests do not reach.</summary>
public sealed class ImageCompatibilityTests
{
    private static byte[] Rv32() => File.ReadAllBytes(ElfPatch.Fixture("firmware/riscv-virt/hello-rv32.elf"));

    // The RV32 template with another architecture string: the check reads only the strings and the byte order.
    private static DeviceDescription Rv32As(string architecture)
    {
        var d = DeviceTemplates.Load("RV32");
        return new DeviceDescription("Custom", d.Regions, d.Spaces, d.Peripherals, d.Description, architecture, d.Cpu, d.ByteOrder, d.PageSize,
            d.AllocateAtOnce, d.Boot, d.Symbols, d.Svd, d.Unmodelled, d.Rules);
    }

    [Theory]
    [InlineData("ESP32", "device 'ESP32' is xtensa (esp32-lx6), which needs a Xtensa ELF (EM_XTENSA)")]
    [InlineData("ATmega328", "device 'ATmega328' is avr (atmega328), which needs an AVR ELF (EM_AVR)")]
    public void An_elf_for_another_architecture_than_a_memory_only_devices_is_named(string device, string expected)
    {
        var image = FirmwareReader.Load(ElfPatch.Fixture("firmware/hello.elf"));
        Assert.Contains(expected, ImageCompatibility.Check(image, DeviceTemplates.Load(device)));
    }

    [Fact]
    public void The_elf_header_is_kept_on_the_image()
    {
        var image = FirmwareReader.Load(ElfPatch.Fixture("firmware/riscv-virt/hello-rv64.elf"));
        Assert.Equal(new ImageArchitecture(ImageArchitecture.EmRiscV, 64, ByteOrder.LittleEndian, 0x1), image.Architecture);
        var arm = FirmwareReader.Load(ElfPatch.Fixture("differential/cortex-m4f/fpu.elf"));
        Assert.Equal((ImageArchitecture.EmArm, 32), (arm.Architecture!.Machine, arm.Architecture.ClassBits));
        Assert.NotEqual(0u, arm.Architecture.Flags & ImageArchitecture.EfArmAbiFloatHard);
        Assert.Null(FirmwareReader.Load(ElfPatch.Fixture("firmware/hello.hex")).Architecture);
    }

    [Fact]
    public void A_big_endian_copy_reads_as_big_endian()
    {
        var image = ElfReader.Read(ElfPatch.ToBigEndian32(File.ReadAllBytes(ElfPatch.Fixture("firmware/hello.elf"))), "be.elf");
        Assert.Equal(ByteOrder.BigEndian, image.Architecture!.ByteOrder);
        Assert.Equal(ImageArchitecture.EmArm, image.Architecture.Machine);
        var throws = Assert.Throws<FirmwareCompatibilityException>(() => image.CheckRunsOn(DeviceTemplates.Load("STM32F407")));
        Assert.Equal(("be.elf", "STM32F407"), (throws.File, throws.Device));
    }

    [Theory]
    [InlineData(0x4u, "rv32imac", "double-float ABI (EF_RISCV_FLOAT_ABI_DOUBLE)")]
    [InlineData(0x4u, "rv32imafc", "no 'd' extension")]
    [InlineData(0x2u, "rv32imac", "no 'f' extension")]
    [InlineData(0x0u, "rv32ec", "an E core with 16")]
    public void Float_abis_and_e_cores_the_device_lacks_are_refused(uint flags, string architecture, string expected)
    {
        var image = ElfReader.Read(ElfPatch.WithFlags32(Rv32(), flags), "f.elf");
        string? problem = ImageCompatibility.Check(image, Rv32As(architecture));
        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
        Assert.Contains($"device 'Custom' runs {architecture}", problem);
    }

    [Theory]
    [InlineData(0x4u, "rv32gc")]      // g includes d
    [InlineData(0x4u, "rv32imafdc")]
    [InlineData(0x2u, "rv32imafc")]
    [InlineData(0x8u, "rv32imac")]    // RV32E code uses x0-x15 only: it runs on a full core
    [InlineData(0x8u, "rv32ec")]
    [InlineData(0x1u, "")]            // no architecture string: nothing to compare
    public void Images_the_core_can_run_pass(uint flags, string architecture)
    {
        var image = ElfReader.Read(ElfPatch.WithFlags32(Rv32(), flags), "f.elf");
        Assert.Null(ImageCompatibility.Check(image, Rv32As(architecture)));
    }
}
