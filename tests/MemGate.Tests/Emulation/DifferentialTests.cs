using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Tests.Emulation;

/// <summary>
/// The differential suite: programs written from the architecture manuals (tests/firmware/*), exercising
/// exceptions, traps, faults and interrupts, run on MemGate and on the matching QEMU board; output and
/// exit code must be the same. Each program is compared with QEMU's recorded run (always) and with a
/// live QEMU (skipped, never passed, where that QEMU is not installed).
/// </summary>
public sealed class DifferentialTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>Program (under Fixtures/differential) and the device template it runs on.</summary>
    public static TheoryData<string, string> Programs => new()
    {
        { "riscv/traps-rv32.elf", "RV32" },
        { "riscv/traps-rv64.elf", "RV64" },
        { "cortex-m/faults.elf", "STM32F103" },
        { "cortex-m/it-blocks.elf", "STM32F103" },   // SVCs inside IT blocks
        { "cortex-m/masks-returns.elf", "STM32F103" },   // hints, CPS in handlers, FAULTMASK, invalid exception returns
        { "cortex-m/priorities.elf", "STM32F103" },      // BASEPRI(_MAX), SHPR1-3 reserved fields and DebugMonitor, IPR by word and byte
        { "cortex-m4f/fpu.elf", "STM32F407" },
        { "cortex-m4f-newlib/printf-float.elf", "STM32F407" },   // newlib printf of floats, hard-float ABI
        { "aarch64/exceptions.elf", "CortexA53" },
        { "aarch64/psci-off.elf", "CortexA53" },   // PSCI SYSTEM_OFF over HVC powers the machine off
        { "aarch64/mmu.elf", "CortexA53" },        // the MMU turned on (an alias through the page tables) and off again
    };

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", name);

    // Output and exit code on MemGate; a fault or a run that does not exit is part of the output, so it shows in the diff.
    private static (string Output, int? ExitCode) RunOnMemGate(string program, string device)
    {
        var output = new StringWriter();
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load(device), output);
        machine.Load(FirmwareReader.Load(Fixture(program)));
        try
        {
            var result = machine.Run(timeout: Limit);
            return (output.ToString() + (result.ExitCode is null ? $"[run ended: {result.Reason}]" : ""), result.ExitCode);
        }
        catch (EmulationFault fault)
        {
            return (output + $"[fault: {fault.Message}]", null);
        }
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void A_program_prints_and_exits_as_on_qemu_recorded(string program, string device)
    {
        var expected = QemuReference.ReadRecord(Fixture(Path.ChangeExtension(program, ".qemu.txt")));
        var actual = RunOnMemGate(program, device);
        Assert.Equal(expected.Output, actual.Output);
        Assert.Equal(expected.ExitCode, actual.ExitCode);
    }

    [SkippableTheory]
    [MemberData(nameof(Programs))]
    public async Task A_program_prints_and_exits_as_on_qemu_now(string program, string device)
    {
        var (binary, arguments) = QemuReference.Command(device, Fixture(program));
        string? qemu = QemuReference.Find(binary);
        Skip.If(qemu is null, $"{binary} is not installed (Debian: qemu-system-arm, qemu-system-misc)");
        var expected = await QemuReference.RunAsync(qemu!, arguments, Limit);
        var actual = RunOnMemGate(program, device);
        Assert.Equal(expected.Output, actual.Output);
        Assert.Equal(expected.ExitCode, actual.ExitCode);
    }
}
