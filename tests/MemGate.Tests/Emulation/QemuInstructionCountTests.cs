using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Tests.Emulation;

/// <summary>
/// MemGate's exact instruction count against QEMU's on the same image: QEMU runs one instruction per
/// translated block (<c>-singlestep</c>) and logs every block it executes (<c>-d exec,nochain</c>), so
/// the log has a line per instruction; lines outside the image (the RISC-V virt board's reset code)
/// are not the firmware's. Programs whose path depends on host time under QEMU (a timer read without
/// <c>-icount</c>, such as SysTick on stm32vldiscovery: 147 to 151 instructions for systick.elf) are
/// left out: their count differs from run to run there.
/// </summary>
public sealed class QemuInstructionCountTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>Image (under the repository's examples/firmware) and the device template it runs on.</summary>
    public static TheoryData<string, string> Programs => new()
    {
        { "stm32f103/hello.elf", "STM32F103" },
        { "riscv-virt/hello-rv32.elf", "RV32" },
        { "riscv-virt/hello-rv64.elf", "RV64" },
        { "a53-virt/hello.elf", "CortexA53" },
    };

    [SkippableTheory]
    [MemberData(nameof(Programs))]
    public async Task A_run_counts_as_many_instructions_as_qemu_executes(string program, string device)
    {
        string image = Path.Combine(Docs.ReadmeTests.RepositoryRoot, "examples", "firmware", program);
        var (binary, arguments) = QemuReference.Command(device, image);
        string? qemu = QemuReference.Find(binary);
        Skip.If(qemu is null, $"{binary} is not installed (Debian: qemu-system-arm, qemu-system-misc)");
        var firmware = FirmwareReader.Load(image);
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load(device), TextWriter.Null);
        machine.Load(firmware);
        var result = machine.Run(timeout: Limit);
        Assert.Equal(RunOutcome.Exit, result.Outcome);

        // The timer programs sleep in WFI, so QEMU's count does not depend on host time unless the host stalls QEMU
        // for longer than a timer period just before the WFI (a loaded machine): a differing count is tried again.
        var counts = new List<long>();
        for (int attempt = 0; attempt < 3 && !counts.Contains((long)result.Instructions); attempt++)
        {
            counts.Add(await QemuCount(qemu!, arguments, firmware));
        }
        Assert.True(counts[^1] > 100, $"QEMU's log of {program} holds only {counts[^1]} instructions of the image");
        Assert.Equal((ulong)counts[^1], result.Instructions);
    }

    // QEMU's instructions inside the image, from its single-step exec log.
    private static async Task<long> QemuCount(string qemu, string[] arguments, FirmwareImage firmware)
    {
        string log = Path.Combine(Path.GetTempPath(), $"memgate-qemu-exec-{Guid.NewGuid():N}.log");
        try
        {
            var (_, exitCode) = await QemuReference.RunAsync(qemu, [.. arguments, "-singlestep", "-d", "exec,nochain", "-D", log], Limit);
            Assert.Equal(0, exitCode);
            return File.ReadLines(log).Count(line => ExecutedPc(line) is { } pc && firmware.Segments.Any(s => pc >= s.Address && pc < s.End));
        }
        finally
        {
            File.Delete(log);
        }
    }

    // "Trace 0: 0x7f... [00000000/08000090/00109003/ff000201] name": the second field is the guest PC.
    private static ulong? ExecutedPc(string line)
    {
        if (!line.StartsWith("Trace ", StringComparison.Ordinal))
        {
            return null;
        }
        int open = line.IndexOf('[', StringComparison.Ordinal);
        string[] fields = line[(open + 1)..].Split('/');
        return fields.Length > 1 && ulong.TryParse(fields[1], System.Globalization.NumberStyles.HexNumber, null, out ulong pc) ? pc : null;
    }
}
