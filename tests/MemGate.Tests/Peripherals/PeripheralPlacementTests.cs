using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Memory;
using MemGate.Peripherals;
using MemGate.Peripherals.Uart;

namespace MemGate.Tests.Peripherals;

/// <summary>Models placed by a device file of the tests' own, at addresses and lines no template uses, serve real firmware.</summary>
public sealed class PeripheralPlacementTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "placement", name);

    [Fact]
    public void Three_uart_models_at_addresses_of_the_files_choosing_print_and_interrupt_on_their_lines()
    {
        var device = DeviceConfigReader.Load(Fixture("board.toml"));
        Assert.Null(device.RegionAt(0));   // reset must read the vector table where [boot] puts it
        var output = new StringWriter();
        using var machine = FirmwareMachine.Create(device, output);
        machine.Load(FirmwareReader.Load(Fixture("uarts.elf")));
        var result = machine.Run(maxInstructions: 100_000, timeout: TimeSpan.FromSeconds(10));
        // 'b' and 'c' go out through SERIAL_B and SERIAL_C; A, B and C are printed by the handlers of IRQ 5, 9 and 12.
        Assert.Equal("start bcABC done\n", output.ToString());
        Assert.Equal((3, RunOutcome.Exit), (result.ExitCode, result.Outcome));
        Assert.IsType<Stm32Usart>(machine.Peripherals.Find("SERIAL_A"));
        Assert.IsType<Pl011Uart>(machine.Peripherals.Find("SERIAL_B"));
        Assert.IsType<Ns16550Uart>(machine.Peripherals.Find("SERIAL_C"));
    }

    [Fact]
    public void The_clint_the_16550_and_the_finisher_work_where_a_risc_v_file_puts_them()
    {
        var output = new StringWriter();
        using var machine = FirmwareMachine.Create(DeviceConfigReader.Load(Fixture("rv-board.toml")), output);
        machine.Load(FirmwareReader.Load(Fixture("timer-rv32.elf")));
        var result = machine.Run(maxInstructions: 100_000, timeout: TimeSpan.FromSeconds(10));
        Assert.Equal("rvT\n", output.ToString());   // T: the machine timer interrupt from the CLINT at 0x02100000
        Assert.Equal(7, result.ExitCode);           // 0x3333 | 7 << 16 written to the finisher at 0x00200000
    }

    [Fact]
    public void A_vector_table_outside_every_region_is_refused_where_the_file_says_it()
    {
        string text = File.ReadAllText(Fixture("board.toml")).Replace("vector_table = \"0x08000000\"", "vector_table = \"0x30000000\"", StringComparison.Ordinal);
        var e = Assert.Throws<DeviceDescriptionException>(() => DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, "board.toml"));
        var d = Assert.Single(e.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(("boot.vector_table", 9), (d.Field, d.Location!.Value.Line));
        Assert.Contains("0x30000000 is not inside any region", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Boot_settings_override_the_vector_table_for_sp_and_entry()
    {
        // The vector table says SP = top of SRAM and PC = Reset_Handler; [boot] moves both.
        string text = File.ReadAllText(Fixture("board.toml"))
            .Replace("vector_table = \"0x08000000\"", "vector_table = \"0x08000000\"\ninitial_sp = \"0x20002000\"\nentry_point = \"0x08000100\"", StringComparison.Ordinal);
        using var machine = FirmwareMachine.Create(DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, "board.toml"), TextWriter.Null);
        machine.Memory.Main.Debug.WriteUInt16(new GuestAddress(0x0800_0100), 0xE7FE);   // b .
        var result = machine.Run(maxInstructions: 10);
        Assert.Equal(RunOutcome.InstructionLimit, result.Outcome);
        var registers = machine.Registers;
        Assert.Equal(0x2000_2000UL, registers.Read(registers.IndexOf("SP")));
        Assert.Equal(0x0800_0100UL, registers.Read(registers.IndexOf("PC")));
    }

    [Theory]
    [InlineData("RV32")]
    [InlineData("RV64")]
    public void A_risc_v_device_boots_at_its_entry_with_its_stack_and_traps_to_its_vector_table(string template)
    {
        string text = DeviceConfigWriter.Write(DeviceTemplates.Load(template), DeviceConfigFormat.Toml)
            + "\n[boot]\nentry_point = \"0x80000000\"\ninitial_sp = \"0x80004000\"\nvector_table = \"0x80000100\"\n";
        using var machine = FirmwareMachine.Create(DeviceConfigReader.Parse(text, DeviceConfigFormat.Toml, "rv.toml"), TextWriter.Null);
        var ram = machine.Memory.Main.Debug;
        ram.WriteUInt32(new GuestAddress(0x8000_0000), 0x0000_0073);   // ecall, with nothing set up: mtvec comes from [boot]
        uint[] handler = [0x0010_02B7, 0x0005_3337, 0x3333_0313, 0x0062_A023];   // lui t0,0x100; lui t1,0x53; addi t1,t1,0x333; sw t1,0(t0)
        for (int i = 0; i < handler.Length; i++)
        {
            ram.WriteUInt32(new GuestAddress(0x8000_0100 + 4 * (ulong)i), handler[i]);
        }
        var result = machine.Run(maxInstructions: 100);
        Assert.Equal(5, result.ExitCode);   // 0x3333 | 5 << 16 to the finisher
        var registers = machine.Registers;
        Assert.Equal(0x8000_4000UL, registers.Read(registers.IndexOf("x2")));   // sp
        Assert.Equal(0x8000_0000UL, registers.Read(registers.IndexOf("mepc")));
    }
}
