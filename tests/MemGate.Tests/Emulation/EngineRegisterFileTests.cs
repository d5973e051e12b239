using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Emulation;
using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Tests.Emulation;

// regmap (seed 001) on the emulated CPU: the engine's live registers through memory.
public sealed class EngineRegisterFileTests
{
    // A Cortex-M3 board whose "registers" region at 0x50000000 shows R0–R7 and PC of the running CPU.
    private const string Board = """
        [device]
        name = "M3 with mapped registers"
        architecture = "armv7-m"
        cpu = "cortex-m3"

        [[regions]]
        name = "Flash"
        guest_address = "0x00000000"
        size = "64KB"
        permissions = "rx"
        type = "flash"

        [[regions]]
        name = "SRAM"
        guest_address = "0x20000000"
        size = "16KB"
        permissions = "rwx"
        type = "ram"

        [[regions]]
        name = "CpuRegisters"
        guest_address = "0x50000000"
        size = "36"
        permissions = "rw"
        type = "registers"
        layout = "R0-R7:4, PC:4"

        [[regions]]
        name = "PPB"
        guest_address = "0xE0000000"
        size = "1MB"
        permissions = "rw"
        type = "mmio"
        """;

    [Fact]
    public void Firmware_reads_and_writes_its_own_registers_through_memory_and_the_host_sees_them()
    {
        using var machine = FirmwareMachine.Create(DeviceConfigReader.Parse(Board, DeviceConfigFormat.Toml), TextWriter.Null);
        var flash = machine.Memory.Main.Debug;
        flash.WriteUInt32(new GuestAddress(0), 0x2000_1000);
        flash.WriteUInt32(new GuestAddress(4), 0x0000_0041);
        // movs r2, #42; ldr r1, =0x50000000; ldr r3, [r1, #8] (R3 = R2, read through memory);
        // str r3, [r1, #16] (R4 = R3, written through memory); movs r0, #0x18; ldr r1, =0x20026; bkpt 0xAB (exit 0).
        ushort[] code = [0x222A, 0x4903, 0x688B, 0x610B, 0x2018, 0x4902, 0xBEAB, 0xBF00, 0x0000, 0x5000, 0x0026, 0x0002];
        for (int i = 0; i < code.Length; i++)
        {
            flash.WriteUInt16(new GuestAddress(0x40 + 2UL * (ulong)i), code[i]);
        }
        var result = machine.Run(timeout: TimeSpan.FromSeconds(10));

        Assert.Equal(0, result.ExitCode);
        var registers = machine.Registers;
        Assert.Equal(42UL, registers.Read(registers.IndexOf("R3")));   // read through memory
        Assert.Equal(42UL, registers.Read(registers.IndexOf("R4")));   // written through memory
        var window = new CpuRegisterWindow("host view", registers, ["R2", "R3", "R4"]);
        Assert.Equal(42UL | (42UL << 32), window.Read(4, 8));           // R3 and R4 as one 8-byte read
        window.Write(0, 4, 7);
        Assert.Equal(7UL, registers.Read(registers.IndexOf("R2")));

        // A reset leaves nothing of the run: R0-R12 zero and LR 0xFFFFFFFF, as QEMU and the architecture have them.
        machine.ResetHalted();
        Assert.All(Enumerable.Range(0, 13), r => Assert.Equal(0UL, registers.Read(registers.IndexOf($"R{r}"))));
        Assert.Equal(0xFFFF_FFFFUL, registers.Read(registers.IndexOf("LR")));
    }
}
