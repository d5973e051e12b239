using MemGate.Cli;
using MemGate.Devices.Config;
using MemGate.Emulation;
using MemGate.Mmio;

namespace MemGate.Tests.Cli;

/// <summary>Unmodelled MMIO reads served from an input, as Fuzzware serves them, and runs that end when it runs out.</summary>
public sealed class MmioInputTests
{
    [Fact]
    public void Reads_take_little_endian_bytes_in_order_and_an_empty_input_throws_naming_the_read()
    {
        var input = new MmioInput(new byte[] { 1, 2, 3, 4, 5, 6 });
        Assert.Equal(0x0403_0201UL, input.Take(4, 0x4000_0000));
        Assert.Equal(0x05UL, input.Take(1, 0x4000_0004));
        var e = Assert.Throws<MmioInputExhaustedException>(() => input.Take(2, 0x4000_0008));
        Assert.Equal((0x4000_0008UL, 5), (e.Address, e.Consumed));
        Assert.Equal(1, input.Remaining);
        input.Rewind();
        Assert.Equal(0x0201UL, input.Take(2, 0));
    }

    [Fact]
    public void Models_answer_reads_per_access_site_as_fuzzware_does()
    {
        var input = new MmioInput(new byte[] { 0x07, 0x05, 0xAA, 0xBB, 0xCC, 0xDD });
        input.UseModels(
        [
            new MmioInputModel(MmioInputModelKind.Constant, 0x100) { Pc = 0x10, Value = 0x1 },
            new MmioInputModel(MmioInputModelKind.Passthrough, 0x104) { Value = 0x5 },
            new MmioInputModel(MmioInputModelKind.BitExtract, 0x108) { Size = 1, LeftShift = 16 },
            new MmioInputModel(MmioInputModelKind.Set, 0x10C) { Values = [0x0, 0x2, 0x9] },
            new MmioInputModel(MmioInputModelKind.Set, 0x110) { Values = [0x42] },
        ]);
        Assert.Equal(0x1UL, input.Read(0x100, 4, pc: 0x10));            // constant, from its site: no input
        Assert.Equal(0x5UL, input.Read(0x104, 4, pc: 0x99));            // passthrough's initial value
        input.Write(0x104, 0x77);
        Assert.Equal(0x77UL, input.Read(0x104, 4, pc: 0x99));
        Assert.Equal(0, input.Consumed);
        Assert.Equal(0x07_0000UL, input.Read(0x108, 4, pc: 0));         // one byte, shifted
        Assert.Equal(0x9UL, input.Read(0x10C, 4, pc: 0));               // 0x05 % 3 = 2
        Assert.Equal(0x42UL, input.Read(0x110, 4, pc: 0));              // a single value takes nothing
        Assert.Equal(2, input.Consumed);
        Assert.Equal(0xDDCC_BBAAUL, input.Read(0x100, 4, pc: 0x20));    // another site: the full width from the input
        input.Rewind();
        Assert.Equal(0x5UL, input.Read(0x104, 4, pc: 0));               // a new run starts from the initial value
    }

    // A Cortex-M3 whose unmodelled MMIO reads take input (Bus at 0x40000000), for firmware that reads it in a loop.
    internal const string FedDevice = """
        [device]
        name = "Fed"
        cpu = "cortex-m3"

        [memory]
        unmodelled = "input"

        [[regions]]
        name = "Flash"
        guest_address = "0x00000000"
        size = "4KB"
        type = "flash"

        [[regions]]
        name = "SRAM"
        guest_address = "0x20000000"
        size = "4KB"
        type = "ram"

        [[regions]]
        name = "Bus"
        guest_address = "0x40000000"
        size = "4KB"
        type = "mmio"

        [[regions]]
        name = "PPB"
        guest_address = "0xE0000000"
        size = "1MB"
        type = "mmio"
        unmodelled = "plain"
        """;

    // At 0x40: ldr r1, =0x40000000; loop: ldr r0, [r1] (at 0x42); b loop.
    internal static readonly ushort[] FedLoop = [0x4901, 0x6808, 0xE7FD, 0xBF00, 0x0000, 0x4000];

    [Fact]
    public void A_machine_ends_with_input_exhausted_and_every_run_from_reset_starts_the_input_again()
    {
        var device = DeviceConfigReader.Parse(FedDevice, DeviceConfigFormat.Toml, "fed.toml");
        var input = new MmioInput(new byte[10]);
        using var machine = FirmwareMachine.Create(device, TextWriter.Null, new FirmwareMachineOptions { MmioInput = input });
        var flash = machine.Memory.Main.Debug;
        flash.WriteUInt32(new MemGate.Memory.GuestAddress(0), 0x2000_1000);
        flash.WriteUInt32(new MemGate.Memory.GuestAddress(4), 0x41);
        ushort[] code = FedLoop;
        for (int i = 0; i < code.Length; i++)
        {
            flash.WriteUInt16(new MemGate.Memory.GuestAddress(0x40 + 2 * (ulong)i), code[i]);
        }
        for (int run = 0; run < 2; run++)
        {
            var result = machine.Run(maxInstructions: 1000);
            Assert.Equal((RunOutcome.InputExhausted, "input exhausted: a 4-byte read of 0x40000000 after 8 input bytes"), (result.Outcome, result.Reason));
            Assert.Equal(8, input.Consumed);   // two 4-byte reads; the third finds 2 bytes
        }
        // A constant model for that load (the ldr at 0x42) answers it without input: the loop now runs to the limit.
        var modelled = DeviceConfigReader.Parse(DeviceConfigWriter.Write(device, DeviceConfigFormat.Toml)
            + "\n[[mmio_models]]\nkind = \"constant\"\naddress = \"0x40000000\"\npc = \"0x42\"\nvalue = \"0x1\"\n", DeviceConfigFormat.Toml, "fed.toml");
        var quiet = new MmioInput(new byte[10]);
        using var second = FirmwareMachine.Create(modelled, TextWriter.Null, new FirmwareMachineOptions { MmioInput = quiet });
        for (int i = 0; i < code.Length; i++)
        {
            second.Memory.Main.Debug.WriteUInt16(new MemGate.Memory.GuestAddress(0x40 + 2 * (ulong)i), code[i]);
        }
        second.Memory.Main.Debug.WriteUInt32(new MemGate.Memory.GuestAddress(0), 0x2000_1000);
        second.Memory.Main.Debug.WriteUInt32(new MemGate.Memory.GuestAddress(4), 0x41);
        Assert.Equal(RunOutcome.InstructionLimit, second.Run(maxInstructions: 1000).Outcome);
        Assert.Equal(0, quiet.Consumed);

        // Fuzzware's consumption timeout: 100 blocks that read no input (the first block, 3 instructions, then
        // 99 rounds of the 2-instruction loop) end the run, stopped before the 101st.
        second.InputTimeout = 100;
        var stalled = second.Run(maxInstructions: 1000);
        Assert.Equal((RunOutcome.InputTimeout, "input timeout: 100 blocks without reading input", 201UL), (stalled.Outcome, stalled.Reason, stalled.Instructions));
        // Reading input every block, the first machine never times out: its input runs out instead.
        machine.InputTimeout = 2;
        Assert.Equal(RunOutcome.InputExhausted, machine.Run(maxInstructions: 1000).Outcome);
    }

    [Fact]
    public void With_faults_ending_the_run_an_undefined_instruction_is_a_crash_instead_of_a_hardfault()
    {
        var device = DeviceConfigReader.Parse("""
            [device]
            name = "Crash"
            cpu = "cortex-m3"

            [[regions]]
            name = "Flash"
            guest_address = "0x00000000"
            size = "4KB"
            type = "flash"

            [[regions]]
            name = "SRAM"
            guest_address = "0x20000000"
            size = "4KB"
            type = "ram"
            """, DeviceConfigFormat.Toml, "crash.toml");
        using var machine = FirmwareMachine.Create(device, TextWriter.Null);
        var flash = machine.Memory.Main.Debug;
        flash.WriteUInt32(new MemGate.Memory.GuestAddress(0), 0x2000_1000);
        flash.WriteUInt32(new MemGate.Memory.GuestAddress(4), 0x41);      // reset: udf #0 at 0x40
        flash.WriteUInt32(new MemGate.Memory.GuestAddress(0x0C), 0x61);   // HardFault: b . at 0x60
        flash.WriteUInt16(new MemGate.Memory.GuestAddress(0x40), 0xDE00);
        flash.WriteUInt16(new MemGate.Memory.GuestAddress(0x60), 0xE7FE);
        // The architecture's way: UsageFault escalates to HardFault, whose endless loop runs to the limit.
        Assert.Equal(RunOutcome.InstructionLimit, machine.Run(maxInstructions: 100).Outcome);
        Assert.Equal(0x60UL, machine.Registers.Read(machine.Registers.IndexOf("PC")) & ~1UL);
        // Fuzzware's: the run ends at the instruction, as a crash.
        machine.FaultsEndRun = true;
        var fault = Assert.Throws<EmulationFault>(() => machine.Run(maxInstructions: 100));
        Assert.Equal(0x40UL, fault.ProgramCounter & ~1UL);
    }

    [SkippableFact]
    public void An_imported_fuzzware_target_runs_from_its_device_file_and_ends_when_its_input_runs_out()
    {
        string config = Requires.RealWorld("fuzzware-examples", "P2IM", "CNC", "config.yml");
        string folder = Directory.CreateTempSubdirectory("memgate-cnc").FullName;
        string device = Path.Combine(folder, "cnc.toml");
        var (importExit, _, importError) = CliRunner.Run("import", "fuzzware", config, "-o", device);
        Assert.True(importExit == 0, importError);
        string input = Path.Combine(folder, "input.bin");
        File.WriteAllBytes(input, new byte[64]);
        // No image: the device's region loads CNC.bin, found from where the device file was written.
        var (exit, _, error) = CliRunner.Run("run", "--device", device, "--mmio-input", input, "--max-instructions", "5000000");
        Assert.True(exit == 122, error);
        Assert.Contains("input exhausted", error, StringComparison.Ordinal);
        var (missing, _, message) = CliRunner.Run("run", "--device", device);
        Assert.Equal(CliApp.Usage, missing);
        Assert.Contains("--mmio-input", message, StringComparison.Ordinal);
    }
}
