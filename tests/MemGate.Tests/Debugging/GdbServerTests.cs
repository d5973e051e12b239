using MemGate.Cli;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CsCheck;
using MemGate.Debugging;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;
using MemGate.Tests.Cli;

namespace MemGate.Tests.Debugging;

/// <summary>
/// The GDB server against Debian's gdb-multiarch (break at main, step, read and write variables and
/// registers, a watchpoint, continue to the exit code) on each CPU, and against a raw protocol client for
/// what batch-mode GDB cannot do (Ctrl-C, attaching to running firmware, malformed packets).
/// </summary>
public sealed class GdbServerTests
{
    private static string Image(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "gdb", name);

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    // V registers typed as GDB's aarch64-fpu.xml types them (lanes by width), as QEMU's stub does: as uint128 they took
    // no float ($v1.d.f), and 'info registers' listed them among the general registers.
    [Fact]
    public void Aarch64_vector_registers_are_described_with_their_lanes()
    {
        using var a53 = Aarch64Machine.Create(DeviceTemplates.Load("CortexA53"), TextWriter.Null);
        string xml = GdbTargetDescription.For(a53).ToXml();
        Assert.Contains("<reg name=\"v0\" bitsize=\"128\" type=\"aarch64v\"/>", xml);
        Assert.Contains("<union id=\"aarch64v\"><field name=\"d\" type=\"vnd\"/>", xml);
        Assert.True(xml.IndexOf("<vector id=\"v2d\"", StringComparison.Ordinal) < xml.IndexOf("<reg name=\"v0\"", StringComparison.Ordinal));   // declared before use
        Assert.Equal(1, System.Xml.Linq.XDocument.Parse(xml).Descendants("union").Count(u => (string?)u.Attribute("id") == "aarch64v"));
    }

    [SkippableTheory]
    [InlineData("debugme-m3.elf", "STM32F103", "r4")]
    [InlineData("debugme-rv32.elf", "RV32", "s1")]
    [InlineData("debugme-rv64.elf", "RV64", "s1")]
    [InlineData("debugme-a53.elf", "CortexA53", "x19")]
    [InlineData("debugme-a53.elf", "CortexA53", "v3.d.u[0]")]   // a lane of a 128-bit vector register, typed as on QEMU
    public async Task GdbMultiarchDebugsTheFirmwareAsOnQemu(string image, string device, string register)
    {
        string gdb = Requires.Program("gdb-multiarch");
        int port = FreePort();
        var memgate = Task.Run(() => CliRunner.Run("run", Image(image), "--device", device, "--gdb", $"127.0.0.1:{port}", "--gdb-wait"));
        string[] commands =
        [
            "set pagination off", "set confirm off", $"target remote 127.0.0.1:{port}",
            "break main", "continue",
            "next", "step", "info locals", "finish",
            $"set ${register} = 0x1234abcd", "maintenance flush register-cache", $"p/x ${register}",
            "watch total", "continue", "delete",
            "set var total = 90", "printf \"total=%d\\n\", total",
            "continue",
        ];
        var (output, exit) = await RunGdb(gdb, Image(image), commands);
        var (code, stdout, stderr) = await memgate.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, output);
        Assert.Contains("Breakpoint 1, main () at", output);
        Assert.Contains("add (a=0, b=0) at", output);        // stepped into the call
        Assert.Contains("sum = 0", output);                   // a local read through memory and the frame
        Assert.Contains("= 0x1234abcd", output);              // a register written and read back from the server (v3 through its lanes: 128 bits)
        Assert.Matches(@"Old value = 0\s+New value = 1", output);   // the watchpoint fired on the store of 0 + 1
        Assert.Contains("total=90", output);
        Assert.Contains("exited with code 0143", output);     // 90 + 2 + 3 + 4 = 99, through memory the debugger wrote
        Assert.Equal(99, code);
        Assert.Contains("exit with code 99", stderr);
        Assert.Equal("", stdout);
    }

    // AArch64's EL1 system registers are there for exception handlers: at the handler of `svc #0x123`, ESR_EL1 holds
    // EC 0x15 (SVC from AArch64) with IL and the immediate, as on QEMU; the translation registers are shown, not written.
    [SkippableFact]
    public async Task Aarch64SystemRegistersShowTheExceptionBeingHandled()
    {
        string gdb = Requires.Program("gdb-multiarch");
        string image = Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "aarch64", "exceptions.elf");
        int port = FreePort();
        var memgate = Task.Run(() => CliRunner.Run("run", image, "--device", "CortexA53", "--gdb", $"127.0.0.1:{port}", "--gdb-wait"));
        string[] commands =
        [
            "set pagination off", "set confirm off", $"target remote 127.0.0.1:{port}",
            "break handle", "continue", "p/x $ESR_EL1", "p/x $VBAR_EL1 == (long)&vectors", "info registers system",
            "set $TCR_EL1 = 5", "kill",
        ];
        var (output, exit) = await RunGdb(gdb, image, commands);
        await memgate.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, output);
        Assert.Contains("$1 = 0x56000123", output);
        Assert.Contains("$2 = 0x1", output);
        Assert.Matches(@"ELR_EL1\s+0x[0-9a-f]+", output);
        Assert.Matches(@"SPSR_EL1\s+0x[0-9a-f]+", output);
        Assert.Contains("Could not write register \"TCR_EL1\"", output);
    }

    [Fact]
    public async Task CtrlCStopsARunningFirmwareAndItGoesOnAfterwards()
    {
        using var served = new ServedMachine(Spinner(), new GdbServerOptions { WaitForDebugger = true });
        var machine = served.Machine;
        using (var client = new GdbTestClient(served.Endpoint))
        {
            Assert.StartsWith("S05", client.Ask("?"));
            client.SendPacket("c");
            // Interrupt once the firmware runs (on a loaded machine the run can take a while to start).
            Assert.True(SpinWait.SpinUntil(() => machine.Instructions > 0, TimeSpan.FromSeconds(10)), "the firmware did not start running");
            client.Raw([0x03]);
            Assert.Equal("T02", client.Reply());
            var pc = client.Ask("pf");   // register 15: pc
            Assert.Matches("^[0-9a-f]{8}$", pc);
            client.SendPacket("c");
            Thread.Sleep(100);
            client.Raw([0x03]);
            Assert.Equal("T02", client.Reply());
            client.SendPacket("k");
        }
        var result = await served.Session.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(GdbSessionEnd.Killed, result.End);
        Assert.True(result.Instructions > 0);
    }

    [Fact]
    public async Task ADebuggerAttachingToRunningFirmwareStopsItWhereItIs()
    {
        using var served = new ServedMachine(Spinner(), new GdbServerOptions());
        Thread.Sleep(200);
        using (var client = new GdbTestClient(served.Endpoint))
        {
            Assert.Equal("T02", client.Ask("?"));   // stopped by the attach, as QEMU does
            Assert.NotEqual("E14", client.Ask("m20000000,4"));
            client.SendPacket("D");
            Assert.Equal("OK", client.Reply());
        }
        var ended = await served.Session.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(GdbSessionEnd.Detached, ended.End);
        Assert.True(ended.Instructions > 0);
    }

    [Fact]
    public async Task TargetDescriptionMemoryMapAndPeripheralReadsAreAsTheDeviceSays()
    {
        using var served = new ServedMachine(Machine("debugme-m3.elf", "STM32F103"), new GdbServerOptions { WaitForDebugger = true });
        using (var client = new GdbTestClient(served.Endpoint))
        {
            Assert.Contains("qXfer:memory-map:read+", client.Ask("qSupported:swbreak+;hwbreak+"));
            string target = client.Ask("qXfer:features:read:target.xml:0,3fff");
            Assert.StartsWith("l", target);
            Assert.Contains("<feature name=\"org.gnu.gdb.arm.m-profile\">", target);
            Assert.Contains("<reg name=\"xpsr\"", target);
            Assert.Contains("<reg name=\"basepri\"", target);
            Assert.StartsWith("m", client.Ask("qXfer:features:read:target.xml:0,10"));   // a part, more to come
            Assert.Equal("E00", client.Ask("qXfer:features:read:other.xml:0,100"));
            string map = client.Ask("qXfer:memory-map:read::0,3fff");
            Assert.Contains("<memory type=\"flash\" start=\"0x8000000\" length=\"0x20000\">", map);
            Assert.Contains("<memory type=\"ram\" start=\"0x20000000\" length=\"0x5000\"/>", map);
            // The reset state as the vector table gives it: SP from word 0 (also MSP), PC from word 1.
            string registers = client.Ask("g");
            Assert.Equal(23 * 8, registers.Length);
            Assert.Equal("00200020", registers.Substring(13 * 8, 8));
            Assert.Equal(registers.Substring(13 * 8, 8), registers.Substring(17 * 8, 8));
            // Aliases of memory read as it: the boot alias at 0 is flash, SRAM's bit-band alias one bit per word.
            Assert.Equal(client.Ask("m8000000,8"), client.Ask("m0,8"));
            Assert.Equal("OK", client.Ask("M20000000,1:05"));
            Assert.Equal("010000000000000001000000", client.Ask("m22000000,c"));
            // USART1's status register: refused without side effects unless asked for, through its bit-band alias too.
            Assert.Equal("E14", client.Ask("m40013800,4"));
            Assert.Equal("E14", client.Ask("m42270000,4"));
            var console = new StringBuilder();
            Assert.Equal("OK", client.Ask("qRcmd," + Convert.ToHexString(Encoding.ASCII.GetBytes("mmio on")), console));
            Assert.Contains("peripheral registers", console.ToString());
            Assert.Matches("^[0-9a-f]{8}$", client.Ask("m40013800,4"));
            // Flash written by the debugger (GDB's load) reads back.
            Assert.Equal("OK", client.Ask("vFlashErase:0801fc00,400"));
            Assert.Equal("ffffffff", client.Ask("m801fc00,4"));
            Assert.Equal("OK", client.Ask("M801fc00,4:efbeadde"));
            Assert.Equal("efbeadde", client.Ask("m801fc00,4"));
            Assert.Equal("E14", client.Ask("m30000000,4"));   // nothing mapped there
            client.SendPacket("k");
        }
        await served.Session.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [SkippableFact]
    public async Task MonitorSnapshotSaveAndRestoreGoBackInTime()
    {
        Requires.WriteTracking();
        using var served = new ServedMachine(Machine("debugme-m3.elf", "STM32F103"), new GdbServerOptions { WaitForDebugger = true });
        var machine = served.Machine;
        ulong total = machine.Memory.Device.Symbols.FirstOrDefault(s => s.Name == "total")?.Address ?? FirmwareReader.Load(Image("debugme-m3.elf")).Symbols.First(s => s.Name == "total").Address;
        using (var client = new GdbTestClient(served.Endpoint))
        {
            string Monitor(string command)
            {
                var console = new StringBuilder();
                Assert.Equal("OK", client.Ask("qRcmd," + Convert.ToHexString(Encoding.ASCII.GetBytes(command)), console));
                return console.ToString();
            }
            Assert.Contains("saved", Monitor("snapshot save"));
            string pc = client.Ask("pf");
            Assert.Equal("OK", client.Ask($"Z2,{total:x},4"));
            // Each stop comes before the store (as QEMU's); going on makes it without stopping there again.
            Assert.Equal($"T05watch:{total:x};", client.Ask("c"));   // .bss cleared at reset
            Assert.Equal($"T05watch:{total:x};", client.Ask("c"));   // total = add(0, 0)
            Assert.Equal("00000000", client.Ask($"m{total:x},4"));
            Assert.Equal($"T05watch:{total:x};", client.Ask("c"));   // total = add(0, 1)
            Assert.Equal("00000000", client.Ask($"m{total:x},4"));
            Assert.StartsWith("T05", client.Ask("s"));
            Assert.Equal("01000000", client.Ask($"m{total:x},4"));
            Assert.Contains("restored", Monitor("snapshot restore"));
            Assert.Equal(pc, client.Ask("pf"));
            Assert.Contains("Unknown monitor command", Monitor("frobnicate"));
            Assert.Equal("OK", client.Ask($"z2,{total:x},4"));
            Assert.Equal("W0a", client.Ask("c"));   // the whole run again from the snapshot: 0 + 1 + 2 + 3 + 4
        }
        var ended = await served.Session.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(GdbSessionEnd.Exited, ended.End);
        Assert.Equal(10, ended.ExitCode);
        using var plain = Machine("debugme-m3.elf", "STM32F103");
        Assert.Equal(plain.Run(timeout: TimeSpan.FromSeconds(10)).Instructions, ended.Instructions);   // the count went back with the snapshot
    }

    [Fact]
    public async Task RandomAndTruncatedPacketsGetRepliesAndNeverEndTheSession()
    {
        using var served = new ServedMachine(Machine("debugme-m3.elf", "STM32F103"), new GdbServerOptions { WaitForDebugger = true });
        string[] commands = ["m", "M", "X", "g", "G", "p", "P", "Z0", "z0", "Z2", "z4", "vFlashWrite", "vFlashErase", "vCont", "qXfer:features:read", "qRcmd", "H", "qXfer:memory-map:read"];
        using (var client = new GdbTestClient(served.Endpoint))
        {
            var garbage = Gen.Select(Gen.Int[0, commands.Length - 1], Gen.String[Gen.Char[' ', '~'], 0, 40],
                (command, tail) => commands[command] + tail.Replace("$", "").Replace("#", "").Replace("}", "").Replace("c", "").Replace("s", ""));
            garbage.Sample(packet =>
            {
                if (packet.StartsWith('v') && packet.Contains("Cont", StringComparison.Ordinal))
                {
                    return;   // a resume, not garbage
                }
                client.SendPacket(packet);
                client.Reply();   // any answer, but an answer
            }, iter: 300, threads: 1);
            // Truncated and corrupt frames: no reply is due, and the next good packet is answered.
            client.Raw(Encoding.ASCII.GetBytes("$m0,4#zz"));
            client.Raw(Encoding.ASCII.GetBytes("$qSupported"));
            client.Raw(Encoding.ASCII.GetBytes("#00"));
            client.Raw(Encoding.ASCII.GetBytes("+-+"));
            Assert.StartsWith("S05", client.Ask("?"));
            Assert.Equal("E01", client.Ask("m,,"));
            Assert.Equal("", client.Ask("frobnicate"));
        }
        // The connection dropped without a detach: the session ends, the run with it.
        var ended = await served.Session.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(GdbSessionEnd.Disconnected, ended.End);
    }

    [Fact]
    public async Task ReadAndAccessWatchpointsAndMonitorResetBehaveAsOnQemu()
    {
        using var served = new ServedMachine(Machine("debugme-rv32.elf", "RV32"), new GdbServerOptions { WaitForDebugger = true });
        ulong total = FirmwareReader.Load(Image("debugme-rv32.elf")).Symbols.First(s => s.Name == "total").Address;
        using (var client = new GdbTestClient(served.Endpoint))
        {
            string reset = client.Ask("p20");   // register 32: pc
            Assert.Equal("OK", client.Ask($"Z3,{total:x},4"));
            Assert.Equal($"T05rwatch:{total:x};", client.Ask("c"));   // main's first read of total (the .bss loop only writes)
            Assert.Equal("OK", client.Ask($"z3,{total:x},4"));
            Assert.Equal("E01", client.Ask($"z3,{total:x},4"));   // not there any more
            Assert.Equal("OK", client.Ask($"Z4,{total:x},4"));
            Assert.Equal($"T05awatch:{total:x};", client.Ask("c"));   // the store that follows
            Assert.Equal("OK", client.Ask($"z4,{total:x},4"));
            Assert.NotEqual(reset, client.Ask("p20"));
            var console = new StringBuilder();
            Assert.Equal("OK", client.Ask("qRcmd," + Convert.ToHexString(Encoding.ASCII.GetBytes("reset")), console));
            Assert.Contains("Reset: stopped at", console.ToString());
            Assert.Equal(reset, client.Ask("p20"));
            Assert.Equal("W0a", client.Ask("c"));
        }
        var ended = await served.Session.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(GdbSessionEnd.Exited, ended.End);
    }

    [SkippableFact]
    public void BreakpointsInsideItBlocksStopWhereQemusDoWithTheItStateKept()
    {
        // it-blocks.elf: cmp r5,r5; ite eq; svceq 0; movne r5,#1 (0x080000E8) ... cmp r4,r4; itte eq; svceq 0;
        // addeq r4,#2 (0x08000110: after the SVC's return its block begins inside the IT block); addne r4,#4 (0x08000112).
        // The same debugger script against QEMU's gdbstub and MemGate's server: stops, steps, registers and xPSR's IT bits.
        string qemu = Requires.Program("qemu-system-arm");
        string image = Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "cortex-m", "it-blocks.elf");
        int port = FreePort();
        using var reference = StartQemu(qemu, image, port);
        try
        {
            List<string> expected;
            using (var client = new GdbTestClient(new IPEndPoint(IPAddress.Loopback, port)))
            {
                expected = ItBlockScript(client, xpsr: 25);   // QEMU's M-profile description numbers xPSR 25
            }
            using var served = new ServedMachine(Machine(image, "STM32F103"), new GdbServerOptions { WaitForDebugger = true });
            using var memgate = new GdbTestClient(served.Endpoint);
            Assert.Equal(expected, ItBlockScript(memgate, xpsr: 16));
            Assert.Contains("pc 08000110 r4 00000000", string.Join('\n', expected), StringComparison.Ordinal);   // the script met the IT block
        }
        finally
        {
            reference.Kill();
            reference.WaitForExit();
        }
    }

    [SkippableFact]
    public void WatchpointsStopBeforeTheAccessingInstructionAsQemusDoAndGdbStepsOverIt()
    {
        // GDB takes ARM watchpoints as stopping before the access: it steps the instruction itself, with watchpoints out,
        // then reports. The same script, as GDB sends it, against QEMU's stub and MemGate's server: every stop's PC and r3.
        string qemu = Requires.Program("qemu-system-arm");
        string image = Image("debugme-m3.elf");
        ulong total = FirmwareReader.Load(image).Symbols.First(s => s.Name == "total").Address;
        int port = FreePort();
        using var reference = StartQemu(qemu, image, port);
        try
        {
            List<string> expected;
            using (var client = new GdbTestClient(new IPEndPoint(IPAddress.Loopback, port)))
            {
                expected = WatchScript(client, total);
            }
            using var served = new ServedMachine(Machine("debugme-m3.elf", "STM32F103"), new GdbServerOptions { WaitForDebugger = true });
            using var memgate = new GdbTestClient(served.Endpoint);
            Assert.Equal(expected, WatchScript(memgate, total));
        }
        finally
        {
            reference.Kill();
            reference.WaitForExit();
        }
    }

    private static List<string> WatchScript(GdbTestClient client, ulong total)
    {
        List<string> stops = [];
        client.Ask("qSupported:swbreak+;xmlRegisters=arm");
        client.Ask("qXfer:features:read:target.xml:0,ffb");
        string Register(int number) => Convert.ToHexString(Convert.FromHexString(client.Ask($"p{number:x}")).Reverse().ToArray()).ToLowerInvariant();
        string Total() => client.Ask($"m{total:x},4");
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("OK", client.Ask($"Z2,{total:x},4"));
            string reply = client.Ask("c");
            stops.Add($"stop {reply[..3]} pc {Register(15)} r3 {Register(3)} total {Total()}");
            Assert.Equal("OK", client.Ask($"z2,{total:x},4"));
            client.Ask("s");
            stops.Add($"stepped pc {Register(15)} r3 {Register(3)} total {Total()}");
        }
        return stops;
    }

    // QEMU's STM32 board with its GDB stub on `port`, stopped before the first instruction.
    private static Process StartQemu(string qemu, string image, int port) =>
        Process.Start(new ProcessStartInfo(qemu, ["-M", "stm32vldiscovery", "-display", "none", "-monitor", "none",
            "-serial", "null", "-semihosting-config", "enable=on,target=native", "-kernel", image, "-S", "-gdb", $"tcp:127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;

    private static List<string> ItBlockScript(GdbTestClient client, int xpsr)
    {
        List<string> stops = [];
        client.Ask("qSupported:swbreak+;xmlRegisters=arm");
        client.Ask("qXfer:features:read:target.xml:0,ffb");   // QEMU answers register reads (p) only after this
        string Register(int number) => Convert.ToHexString(Convert.FromHexString(client.Ask($"p{number:x}")).Reverse().ToArray()).ToLowerInvariant();
        ulong[] breakpoints = [0x0800_00E8, 0x0800_0110, 0x0800_0112];
        foreach (ulong address in breakpoints)
        {
            Assert.Equal("OK", client.Ask($"Z0,{address:x},2"));
        }
        foreach (string command in (string[])["c", "s", "c", "c", "s"])
        {
            // As GDB resumes from a breakpoint: take it out, step, put it back (QEMU would stop at it again at once).
            ulong pc = Convert.ToUInt64(Register(15), 16);
            string? reply = null;
            if (breakpoints.Contains(pc))
            {
                Assert.Equal("OK", client.Ask($"z0,{pc:x},2"));
                reply = client.Ask("s");
                Assert.Equal("OK", client.Ask($"Z0,{pc:x},2"));
            }
            if (reply is null || command == "c")
            {
                reply = client.Ask(command);
            }
            stops.Add($"{command}: {reply[..3]} pc {Register(15)} r4 {Register(4)} r5 {Register(5)} xpsr {Register(xpsr)}");
        }
        return stops;
    }

    [Fact]
    public async Task WithContinueOnDetachTheFirmwareRunsToItsEndAfterTheDebuggerLeaves()
    {
        int port = FreePort();
        var memgate = Task.Run(() => CliRunner.Run("run", Image("debugme-a53.elf"), "--device", "CortexA53", "--gdb", $"127.0.0.1:{port}", "--gdb-wait", "--gdb-continue-on-detach"));
        using (var client = new GdbTestClient(new IPEndPoint(IPAddress.Loopback, port)))
        {
            Assert.StartsWith("S05", client.Ask("?"));
            Assert.Equal("OK", client.Ask("D"));
        }
        var (code, _, error) = await memgate.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(10, code);
        Assert.Contains("exit with code 10", error);

        // A debugger whose connection drops takes its breakpoints and watchpoints with it (as from QEMU's stub): the
        // firmware runs on past them to its own end.
        port = FreePort();
        memgate = Task.Run(() => CliRunner.Run("run", Image("debugme-a53.elf"), "--device", "CortexA53", "--gdb", $"127.0.0.1:{port}", "--gdb-wait", "--gdb-continue-on-detach"));
        using (var client = new GdbTestClient(new IPEndPoint(IPAddress.Loopback, port)))
        {
            Assert.StartsWith("S05", client.Ask("?"));
            Assert.Equal("OK", client.Ask("Z0,400800a0,4"));   // exit_with
            Assert.Equal("OK", client.Ask("Z2,40080130,4"));   // total
        }
        (code, _, error) = await memgate.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(10, code);
        Assert.Contains("firmware runs on; GDB can attach again", error);

        // Without it, leaving ends the run: exit code 130.
        port = FreePort();
        memgate = Task.Run(() => CliRunner.Run("run", Image("debugme-a53.elf"), "--device", "CortexA53", "--gdb", $"127.0.0.1:{port}", "--gdb-wait"));
        using (var client = new GdbTestClient(new IPEndPoint(IPAddress.Loopback, port)))
        {
            Assert.StartsWith("S05", client.Ask("?"));
        }
        (code, _, error) = await memgate.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(130, code);
        Assert.Contains("debugger disconnected", error);
    }

    // Firmware whose MMIO input runs out under the debugger: GDB is shown the load that found none (not the
    // machine's halt page), going on ends the same way, and when the debugger leaves memgate exits with the
    // input's own code (122), as without a debugger.
    [Fact]
    public async Task InputRunningOutStopsAtTheReadingInstructionAndTheRunEndsWithItsOwnExitCode()
    {
        string directory = Directory.CreateTempSubdirectory("memgate-gdb-input").FullName;
        try
        {
            string device = Path.Combine(directory, "fed.toml");
            File.WriteAllText(device, MmioInputTests.FedDevice);
            // Vectors (SP, reset at 0x41), then the loop reading input.
            var image = new byte[0x4C];
            BitConverter.TryWriteBytes(image.AsSpan(0), 0x2000_1000u);
            BitConverter.TryWriteBytes(image.AsSpan(4), 0x41u);
            for (int i = 0; i < MmioInputTests.FedLoop.Length; i++)
            {
                BitConverter.TryWriteBytes(image.AsSpan(0x40 + 2 * i), MmioInputTests.FedLoop[i]);
            }
            string firmware = Path.Combine(directory, "fed.bin"), input = Path.Combine(directory, "input.bin");
            File.WriteAllBytes(firmware, image);
            File.WriteAllBytes(input, new byte[10]);   // two 4-byte reads; the third finds 2 bytes
            int port = FreePort();
            var memgate = Task.Run(() => CliRunner.Run("run", firmware, "--address", "0", "--device", device, "--mmio-input", input,
                "--gdb", $"127.0.0.1:{port}", "--gdb-wait"));
            using (var client = new GdbTestClient(new IPEndPoint(IPAddress.Loopback, port)))
            {
                Assert.StartsWith("S05", client.Ask("?"));
                // A second debugger is closed at once (one per run), and memgate says why.
                using (var second = new System.Net.Sockets.TcpClient())
                {
                    second.Connect(IPAddress.Loopback, port);
                    second.ReceiveTimeout = 10_000;
                    Assert.Equal(0, second.GetStream().Read(new byte[1]));
                }
                for (int again = 0; again < 2; again++)
                {
                    var console = new StringBuilder();
                    Assert.Equal("T05", client.Ask("c", console));
                    Assert.Contains("input exhausted: a 4-byte read of 0x40000000", console.ToString());
                    Assert.Equal("42000000", client.Ask("pf"));   // PC: the ldr r0, [r1] at 0x42
                }
                client.SendPacket("k");
            }
            var (code, _, error) = await memgate.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(122, code);
            Assert.Contains("input exhausted", error);
            Assert.Contains("memgate: refused a GDB connection from 127.0.0.1:", error);
            // Each 'continue' tried the reading instruction again: still counted once, as in the run without a debugger.
            var alone = CliRunner.Run("run", firmware, "--address", "0", "--device", device, "--mmio-input", input);
            Assert.Equal(122, alone.Exit);
            string Count(string summary) => System.Text.RegularExpressions.Regex.Match(summary, @"([\d,]+) instructions").Groups[1].Value;
            Assert.NotEmpty(Count(alone.Err));
            Assert.Equal(Count(alone.Err), Count(error));

            // After a reset from the debugger, that end no longer counts: leaving is a stop (130).
            port = FreePort();
            memgate = Task.Run(() => CliRunner.Run("run", firmware, "--address", "0", "--device", device, "--mmio-input", input,
                "--gdb", $"127.0.0.1:{port}", "--gdb-wait"));
            using (var client = new GdbTestClient(new IPEndPoint(IPAddress.Loopback, port)))
            {
                Assert.StartsWith("S05", client.Ask("?"));
                Assert.Equal("T05", client.Ask("c", new StringBuilder()));
                Assert.Equal("OK", client.Ask("qRcmd," + Convert.ToHexString(Encoding.ASCII.GetBytes("reset")), new StringBuilder()));
                client.SendPacket("k");
            }
            (code, _, _) = await memgate.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(130, code);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void TheCliRefusesWhatDoesNotGoWithTheDebugger()
    {
        var (exit, _, error) = CliRunner.Run("run", Image("debugme-m3.elf"), "--device", "STM32F103", "--gdb", "1234", "--max-instructions", "5");
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("--max-instructions", error);
        (exit, _, error) = CliRunner.Run("run", Image("debugme-m3.elf"), "--device", "STM32F103", "--gdb", "localhost:notaport");
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("--gdb localhost:notaport", error);
        (exit, _, error) = CliRunner.Run("run", Image("debugme-m3.elf"), "--device", "STM32F103", "--gdb-wait");
        Assert.Equal(CliApp.Usage, exit);
        Assert.Contains("go with --gdb", error);
    }

    private static FirmwareMachine Machine(string image, string device)
    {
        var machine = FirmwareMachine.Create(DeviceTemplates.Load(device), TextWriter.Null);
        machine.Load(FirmwareReader.Load(Image(image)));
        return machine;
    }

    // An STM32F103 whose reset handler is `b .`: firmware that runs until something stops it.
    private static FirmwareMachine Spinner()
    {
        var machine = FirmwareMachine.Create(DeviceTemplates.Load("STM32F103"), TextWriter.Null);
        byte[] flash = [0x00, 0x10, 0x00, 0x20, 0x09, 0x00, 0x00, 0x08, 0xFE, 0xE7];
        machine.Memory.Main.Debug.Write(new global::MemGate.Memory.GuestAddress(0x0800_0000), flash);
        return machine;
    }

    // A machine (owned from here on) served to a debugger on another thread. Disposing it ends the session
    // however the test went (the test's client is closed by then; the listener is stopped and the run asked to
    // stop until the session ends, for up to 30 s) and only then disposes the machine: a machine disposed under
    // a running session is a native use-after-free that takes the test host down, so one whose session does
    // not end is left undisposed and the disposal throws.
    private sealed class ServedMachine : IDisposable
    {
        private readonly GdbServer _server;

        public ServedMachine(FirmwareMachine machine, GdbServerOptions options)
        {
            Machine = machine;
            _server = GdbServer.Listen(new IPEndPoint(IPAddress.Loopback, 0));
            Session = Task.Run(() => _server.Serve(machine, options));
        }

        public FirmwareMachine Machine { get; }

        public IPEndPoint Endpoint => _server.Endpoint;

        public Task<GdbSessionResult> Session { get; }

        public void Dispose()
        {
            _server.Dispose();
            var clock = Stopwatch.StartNew();
            do
            {
                Machine.RequestStop();   // again and again: a request just before a run begins is forgotten when it begins
            }
            while (Task.WaitAny([Session], 20) < 0 && clock.Elapsed < TimeSpan.FromSeconds(30));
            if (!Session.IsCompleted)
            {
                throw new TimeoutException("The GDB session did not end within 30 s of the test's end; its machine is left undisposed.");
            }
            Machine.Dispose();
        }
    }

    private static async Task<(string Output, int Exit)> RunGdb(string gdb, string image, IEnumerable<string> commands)
    {
        var info = new ProcessStartInfo(gdb) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string argument in new[] { "-q", "-nx", "-batch" }.Concat(commands.SelectMany(c => new[] { "-ex", c })).Append(image))
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            var error = process.StandardError.ReadToEndAsync(limit.Token);
            string output = await process.StandardOutput.ReadToEndAsync(limit.Token);
            await process.WaitForExitAsync(limit.Token);
            return (output + await error, process.ExitCode);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("gdb-multiarch did not finish within 90 s.");
        }
    }
}
