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
    public void A_machine_ends_with_input_exhausted_and_every_run_from_reset_starts_the_input_again()
    {
        var device = DeviceConfigReader.Parse("""
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
            """, DeviceConfigFormat.Toml, "fed.toml");
        var input = new MmioInput(new byte[10]);
        using var machine = FirmwareMachine.Create(device, TextWriter.Null, new FirmwareMachineOptions { MmioInput = input });
        var flash = machine.Memory.Main.Debug;
        flash.WriteUInt32(new MemGate.Memory.GuestAddress(0), 0x2000_1000);
        flash.WriteUInt32(new MemGate.Memory.GuestAddress(4), 0x41);
        // 0x40: ldr r1, =0x40000000; loop: ldr r0, [r1]; b loop
        ushort[] code = [0x4901, 0x6808, 0xE7FD, 0xBF00, 0x0000, 0x4000];
        for (int i = 0; i < code.Length; i++)
        {
            flash.WriteUInt16(new MemGate.Memory.GuestAddress(0x40 + 2 * (ulong)i), code[i]);
        }
        for (int run = 0; run < 2; run++)
        {
            var result = machine.Run(maxInstructions: 1000);
            Assert.Equal((RunOutcome.InputExhausted, "input exhausted"), (result.Outcome, result.Reason));
            Assert.Equal(8, input.Consumed);   // two 4-byte reads; the third finds 2 bytes
        }
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
        Assert.Equal(1, missing);
        Assert.Contains("--mmio-input", message, StringComparison.Ordinal);
    }
}
