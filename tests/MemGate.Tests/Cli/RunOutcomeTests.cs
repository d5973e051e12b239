using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using MemGate.Cli;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Firmware;

namespace MemGate.Tests.Cli;

// Every way a run can end has its own exit code, and every run ends at its limits whatever the firmware does.
public sealed partial class RunOutcomeTests
{
    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    private const int Sigint = 2;
    private const int Sigterm = 15;

    [SkippableTheory]
    [InlineData(Sigint, CliApp.Interrupted)]
    [InlineData(Sigterm, CliApp.Terminated)]
    public void A_signal_ends_a_series_of_runs_with_its_own_code_and_the_summary(int signal, int code)
    {
        string hello = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf");
        var (exit, last) = Signalled(signal, ["run", hello, "--device", "STM32F103", "--runs", "100000000"], started: "stdout");
        Assert.Equal(code, exit);
        Assert.Matches(@"^memgate run: interrupted after [\d,]+ of 100,000,000 runs$", last);
    }

    [SkippableFact]
    public void A_signal_repeated_at_once_as_timeout_sends_it_still_ends_the_run_with_the_summary()
    {
        // timeout(1) signals its command, then its own process group, which holds the command too (and each gets SIGCONT).
        string hello = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf");
        var (exit, last) = Signalled(Sigterm, ["run", hello, "--device", "STM32F103", "--runs", "100000000"], started: "stdout", times: 5);
        Assert.Equal(CliApp.Terminated, exit);
        Assert.Matches(@"^memgate run: interrupted after [\d,]+ of 100,000,000 runs$", last);
    }

    [SkippableFact]
    public void After_the_debugger_detaches_with_continue_on_detach_another_can_attach_and_sigterm_still_ends_the_run()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        string cli = Path.Combine(AppContext.BaseDirectory, "MemGate.Cli.dll");
        using var process = Process.Start(new ProcessStartInfo("dotnet", [cli, "run", Raw(0x0000006F), "--address", "0x80000000", "--device", "RV32",
            "--gdb", $"127.0.0.1:{port}", "--gdb-wait", "--gdb-continue-on-detach"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            System.Net.Sockets.TcpClient? client = null;
            while (client is null)
            {
                try
                {
                    client = new System.Net.Sockets.TcpClient("127.0.0.1", port);
                }
                catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(100);   // not listening yet
                }
            }
            using (client)
            {
                var stream = client.GetStream();
                stream.Write("$D#44"u8);   // detach: the firmware (j .) runs on
                var reply = new byte[16];
                Assert.True(stream.Read(reply) > 0);
            }
            Thread.Sleep(300);
            // As to QEMU's stub: the next debugger stops the firmware where it runs (j . at 0x80000000) and leaves it running on.
            using (var again = new Debugging.GdbTestClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port)))
            {
                Assert.Equal($"T{2:x2}", again.Ask("?"));
                Assert.Equal("00000080", again.Ask("p20"));
                Assert.Equal("OK", again.Ask("D"));
            }
            Thread.Sleep(300);
            Assert.False(process.HasExited);
            Assert.Equal(0, Kill(process.Id, Sigterm));
            Assert.True(process.WaitForExit(30_000), "SIGTERM did not end the run after the debugger left");
            Assert.Equal(CliApp.Terminated, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [SkippableTheory]
    [InlineData(Sigint, CliApp.Interrupted)]
    [InlineData(Sigterm, CliApp.Terminated)]
    public void A_signal_ends_a_fuzzing_campaign_with_its_own_code_and_the_summary(int signal, int code)
    {
        string folder = Directory.CreateTempSubdirectory("memgate-fuzz-signal").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "corpus"));
        // A log (stderr redirected) gets a status line at once and every ten seconds. The firmware has no bug to find
        // (a crash found would make the exit code 120).
        string hello = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf");
        var (exit, last) = Signalled(signal, ["fuzz", hello, "--device", "STM32F103", "--corpus", Path.Combine(folder, "corpus"),
            "--crashes", Path.Combine(folder, "crashes")], started: "stderr");
        Assert.Equal(code, exit);
        Assert.Matches(@"^memgate fuzz: [\d,]+ runs \([\d,]+/s\), [\d,]+ edges, corpus [\d,]+, \d+ crash\(es\), [\d,]+ hang\(s\), [\d:]+$", last);
    }

    // Starts memgate, sends the signal (`times` times in a row) once it has written to 'started', and returns its exit code
    // and last stderr line.
    private static (int Exit, string? Last) Signalled(int signal, string[] arguments, string started, int times = 1)
    {
        // A process a non-interactive shell started in the background ignores SIGINT, and so do its children.
        string? ignored = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        Skip.If(ignored is not null && (Convert.ToUInt64(ignored[7..].Trim(), 16) & (1UL << (signal - 1))) != 0, $"signal {signal} is ignored by this process and its children");
        string cli = Path.Combine(AppContext.BaseDirectory, "MemGate.Cli.dll");
        var info = new ProcessStartInfo("dotnet", [cli, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        using var running = new ManualResetEventSlim();
        string? last = null;
        process.OutputDataReceived += (_, _) =>
        {
            if (started == "stdout")
            {
                running.Set();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            last = e.Data ?? last;
            if (started == "stderr")
            {
                running.Set();
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Assert.True(running.Wait(TimeSpan.FromSeconds(60)), "the work did not start");
            Thread.Sleep(200);   // well inside it
            for (int i = 0; i < times; i++)
            {
                if (i > 0)
                {
                    Thread.Sleep(1);   // delivered apart (two sent at once can merge into one pending signal), as timeout(1)'s may be
                }
                Assert.True(Kill(process.Id, signal) == 0 || i > 0, "the signal could not be sent");   // a repeat may find the work ended
            }
            Assert.True(process.WaitForExit(30_000), $"signal {signal} did not end the work");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
        process.WaitForExit();   // the output's end has been read too
        return (process.ExitCode, last);
    }

    private static string Raw(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        }
        string path = Path.Combine(Directory.CreateTempSubdirectory("memgate-outcome").FullName, "fw.bin");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // RV32 at 0x80000000: write 0x3333 | code << 16 to the SiFive test device (QEMU virt's exit), then spin.
    private static string ExitWith(int code)
    {
        uint value = (uint)(code << 16) | 0x3333;
        uint upper = (value + 0x800) >> 12;
        uint lower = value & 0xFFF;
        return Raw(
            0x001002B7,                                     // lui t0, 0x100          (the test device)
            (upper << 12) | (6 << 7) | 0x37,                // lui t1, upper
            (lower << 20) | (6 << 15) | (6 << 7) | 0x13,    // addi t1, t1, lower
            0x0062A023,                                     // sw t1, 0(t0)
            0x0000006F);                                    // j .
    }

    // RV32: mtvec points at an illegal instruction, which traps to mtvec again: a trap storm in which no block completes.
    private static string TrapStorm() => Raw(
        0x00000297,   // auipc t0, 0
        0x00C28293,   // addi t0, t0, 12
        0x30529073,   // csrw mtvec, t0
        0x00000000);  // illegal instruction, and the trap vector

    private static (int Exit, JsonElement Report) Run(string image, params string[] options)
    {
        var (exit, _, error) = CliRunner.Run(["run", image, "--address", "0x80000000", "--device", "RV32", "--json", .. options]);
        return (exit, JsonDocument.Parse(error.Trim().Split('\n')[^1]).RootElement.Clone());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 3)]
    [InlineData(119, 119)]
    [InlineData(200, CliApp.FirmwareExitLimit)]   // would read as a signal or as one of memgate's own outcomes
    public void The_firmware_exit_code_passes_through_when_it_cannot_be_mistaken(int code, int expected)
    {
        var (exit, report) = Run(ExitWith(code));
        Assert.Equal(expected, exit);
        Assert.Equal("exit", report.GetProperty("outcome").GetString());
        Assert.Equal(code, report.GetProperty("exitCode").GetInt32());   // JSON always has the firmware's own code
        Assert.Equal(expected, report.GetProperty("status").GetInt32());
    }

    [Fact]
    public void A_trap_storm_stops_at_the_instruction_limit_with_a_true_count()
    {
        var (exit, report) = Run(TrapStorm(), "--max-instructions", "1000", "--timeout", "20");
        Assert.Equal(CliApp.InstructionLimit, exit);
        Assert.Equal("instruction-limit", report.GetProperty("outcome").GetString());
        Assert.Equal(1000UL, report.GetProperty("instructions").GetUInt64());
    }

    // A block cut short counts only what ran: five set-up instructions, the misaligned LR.W that traps in
    // the middle of its block (three more instructions and a jump never run), and the handler's four
    // instructions up to the store that ends the run (its "j ." never runs).
    [Fact]
    public void A_block_cut_short_by_a_trap_or_an_exit_counts_only_what_ran()
    {
        var (exit, report) = Run(Raw(
            0x00000297,   // auipc t0, 0
            0x02828293,   // addi t0, t0, 0x28     (the handler below)
            0x30529073,   // csrw mtvec, t0
            0x80000337,   // lui t1, 0x80000
            0x00130313,   // addi t1, t1, 1
            0x100323AF,   // lr.w t2, (t1)         misaligned: traps
            0x00138393, 0x00138393, 0x00138393,   // addi t2, t2, 1 (never run)
            0x0000006F,   // j .
            0x001002B7,   // handler: lui t0, 0x100 (the test device)
            0x00005337,   // lui t1, 5
            0x55530313,   // addi t1, t1, 0x555
            0x0062A023,   // sw t1, 0(t0)          exit 0
            0x0000006F)); // j .
        Assert.Equal(0, exit);
        Assert.Equal(10UL, report.GetProperty("instructions").GetUInt64());
    }

    [Fact]
    public void The_block_limit_has_its_own_code_and_ends_after_that_many_blocks()
    {
        var (exit, report) = Run(Raw(0x0000006F), "--max-blocks", "50", "--timeout", "20");   // j .: one instruction a block
        Assert.Equal(CliApp.BlockLimit, exit);
        Assert.Equal("block-limit", report.GetProperty("outcome").GetString());
        Assert.Equal(50UL, report.GetProperty("instructions").GetUInt64());
        Assert.Equal(121, CliApp.BlockLimit);
        Assert.Equal(128, CliApp.InterruptLimit);
    }

    [Fact]
    public void A_trap_storm_stops_at_the_timeout()
    {
        var (exit, report) = Run(TrapStorm(), "--timeout", "0.5");
        Assert.Equal(CliApp.Timeout, exit);
        Assert.Equal("timeout", report.GetProperty("outcome").GetString());
        Assert.InRange(report.GetProperty("elapsedMs").GetDouble(), 400, 5000);
        // Three instructions before the storm, then one per trap: far from the billions a whole-block count gave.
        double mips = report.GetProperty("mips").GetDouble();
        Assert.InRange(mips, 0.001, 500);
    }

    [Fact]
    public async Task A_stop_request_ends_a_trap_storm()
    {
        using var machine = FirmwareMachine.Create(DeviceTemplates.Load("RV32"), TextWriter.Null);
        machine.Load(FirmwareReader.Load(TrapStorm(), rawAddress: 0x8000_0000));
        // As Ctrl-C does: from another thread, once the storm is under way (or at once if the run ended before).
        using var ended = new CancellationTokenSource();
        var stopper = Task.Run(async () =>
        {
            while (machine.Instructions < 1000 && !ended.IsCancellationRequested)
            {
                await Task.Delay(10);
            }
            machine.RequestStop();
        });
        RunResult result;
        try
        {
            result = machine.Run(timeout: TimeSpan.FromSeconds(30));
        }
        finally
        {
            ended.Cancel();
            await stopper.WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.Equal(RunOutcome.Interrupted, result.Outcome);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(10), $"{result.Elapsed}");
    }

    [Fact]
    public void A_spinning_firmware_ends_at_the_timeout_with_its_own_code()
    {
        var (exit, report) = Run(Raw(0x0000006F), "--timeout", "0.3");   // j .
        Assert.Equal(CliApp.Timeout, exit);
        Assert.Equal("timeout", report.GetProperty("outcome").GetString());
    }

    [Fact]
    public void Idle_has_its_own_code()
    {
        var (exit, report) = Run(Raw(0x10500073, 0x0000006F));   // wfi with no interrupt enabled
        Assert.Equal(CliApp.Idle, exit);
        Assert.Equal("idle", report.GetProperty("outcome").GetString());
    }

    // The firmware's console on a full disk is the host's failure, with a code of its own, not a guest fault (120).
    [SkippableFact]
    public void Console_output_the_host_cannot_write_ends_the_run_with_exit_74()
    {
        Skip.IfNot(File.Exists("/dev/full"), "no /dev/full here");
        string cli = Path.Combine(AppContext.BaseDirectory, "MemGate.Cli.dll");
        string hello = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf");
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "exec dotnet \"$0\" run \"$1\" --device STM32F103 >/dev/full", cli, hello])
        {
            RedirectStandardError = true,
        })!;
        string error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000));
        Assert.Equal(CliApp.HostIOError, process.ExitCode);
        Assert.Contains("the host's I/O failed: write to descriptor 1 failed: No space left on device", error, StringComparison.Ordinal);
        Assert.Contains("(exit code 74)", error, StringComparison.Ordinal);
    }
}
