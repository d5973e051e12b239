using MemGate.Tests.Firmware;

namespace MemGate.Tests.Cli;

/// <summary><c>memgate run</c> refuses an image built for another CPU before building the machine: exit 1, both sides named, no trace.</summary>
public sealed class RunCompatibilityTests
{
    private static string Fixture(string name) => ElfPatch.Fixture(name);

    private static string Refused(string image, string device)
    {
        var (exit, output, error) = CliRunner.Run("run", image, "--device", device, "--max-instructions", "100000");
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.StartsWith("memgate run: ", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", error);
        Assert.Contains(image, error);
        Assert.Contains($"device '{device}'", error);
        return error;
    }

    [Fact]
    public void An_arm_elf_on_rv32_names_both_machines()
    {
        string error = Refused(Fixture("firmware/hello.elf"), "RV32");
        Assert.Contains("32-bit ARM ELF (EM_ARM, ELFCLASS32)", error);
        Assert.Contains("runs rv32imac", error);
        Assert.Contains("needs a RISC-V ELF (EM_RISCV)", error);
        Assert.Contains("STM32F103", error);   // a device that runs it
    }

    [Fact]
    public void An_rv32_elf_on_rv64_names_both_classes()
    {
        string error = Refused(Fixture("firmware/riscv-virt/hello-rv32.elf"), "RV64");
        Assert.Contains("is a 32-bit RISC-V ELF (EM_RISCV, ELFCLASS32); device 'RV64' runs rv64gc (generic-rv64, 64-bit): use the RV32 device or a 64-bit build for rv64gc.", error);
    }

    [Fact]
    public void An_rv64_elf_on_rv32_names_both_classes()
    {
        string error = Refused(Fixture("firmware/riscv-virt/hello-rv64.elf"), "RV32");
        Assert.Contains("is a 64-bit RISC-V ELF (EM_RISCV, ELFCLASS64); device 'RV32' runs rv32imac (generic-rv32, 32-bit): use the RV64 device", error);
    }

    [Fact]
    public void An_aarch64_elf_on_stm32f103_names_both_machines()
    {
        string error = Refused(Fixture("firmware/a53-virt/hello.elf"), "STM32F103");
        Assert.Contains("64-bit AArch64 ELF (EM_AARCH64, ELFCLASS64); device 'STM32F103' runs armv7-m (cortex-m3), which needs an ARM ELF (EM_ARM): use the CortexA53 device", error);
    }

    [Fact]
    public void A_big_endian_elf_on_a_little_endian_device_names_both_byte_orders()
    {
        string image = ElfPatch.Temp("hello-be.elf", ElfPatch.ToBigEndian32(File.ReadAllBytes(Fixture("firmware/hello.elf"))));
        string error = Refused(image, "STM32F103");
        Assert.Contains("32-bit big-endian ARM ELF (EM_ARM, ELFCLASS32, ELFDATA2MSB); device 'STM32F103' runs armv7-m (cortex-m3, little-endian)", error);
        Assert.Contains("a little-endian build", error);
    }

    [Fact]
    public void A_hard_float_elf_on_cortex_m3_is_refused_and_runs_on_cortex_m4()
    {
        string image = Fixture("differential/cortex-m4f/fpu.elf");
        string error = Refused(image, "STM32F103");
        Assert.Contains("hard-float ABI (EF_ARM_ABI_FLOAT_HARD); device 'STM32F103' runs armv7-m (cortex-m3), which has no FPU", error);
        Assert.Contains("STM32F407", error);
        var (exit, _, _) = CliRunner.Run("run", image, "--device", "STM32F407", "--max-instructions", "2000000");
        Assert.NotEqual(1, exit);
    }

    [Theory]
    [InlineData("firmware/hello.elf", "STM32F103")]
    [InlineData("firmware/riscv-virt/hello-rv32.elf", "RV32")]
    [InlineData("firmware/riscv-virt/hello-rv64.elf", "RV64")]
    [InlineData("firmware/a53-virt/hello.elf", "CortexA53")]
    public void Matching_images_still_run(string image, string device)
    {
        var (exit, output, error) = CliRunner.Run("run", Fixture(image), "--device", device, "--timeout", "20");
        Assert.True(exit == 0, error);
        Assert.StartsWith("Hello from", output);
    }

    [Fact]
    public void Images_without_a_header_are_not_checked()
    {
        // The STM32 HEX file on RV32: no machine to compare, so it gets as far as the memory map.
        var (exit, _, error) = CliRunner.Run("run", Fixture("firmware/hello.hex"), "--device", "RV32");
        Assert.Equal(1, exit);
        Assert.Contains("does not fit the device", error);
    }
}
