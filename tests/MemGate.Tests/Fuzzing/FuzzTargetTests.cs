using CsCheck;
using MemGate.Devices;
using MemGate.Devices.Config;
using MemGate.Firmware;
using MemGate.Fuzzing;

namespace MemGate.Tests.Fuzzing;

/// <summary>
/// The fuzzing target on firmware with a planted bug (tests/firmware/fuzz/planted.c: "FUZ!" read from
/// ADC1's data register makes it write to unmapped memory): inputs answer unmodelled reads, runs start
/// from the snapshot, edges are counted in the engine, crashes carry a signature.
/// </summary>
public sealed class FuzzTargetTests
{
    internal static string Planted => Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "fuzz", "planted.elf");

    private static FuzzTarget Target(FuzzTargetOptions? options = null) =>
        FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), FirmwareReader.Load(Planted), options ?? new FuzzTargetOptions());

    [SkippableFact]
    public void ThePlantedInputCrashesAndOthersDoNotWhateverRanBefore()
    {
        Requires.WriteTracking();
        using var target = Target();
        ulong parse = FirmwareReader.Load(Planted).Symbols.First(s => s.Name == "parse").Address & ~1UL;
        for (int round = 0; round < 3; round++)
        {
            var crash = target.Execute("FUZ!"u8);
            Assert.Equal(FuzzRunKind.Crash, crash.Kind);
            Assert.Matches("^write-fault@0x0800[0-9a-f]{4}$", crash.Signature);
            Assert.InRange(crash.ProgramCounter, parse, parse + 0x40);
            Assert.Contains("0x30000000", crash.Reason);
            var normal = target.Execute("FUZZ"u8);
            Assert.Equal(FuzzRunKind.Normal, normal.Kind);
            Assert.Null(normal.Signature);
            Assert.Equal("exit", normal.Reason);
            Assert.Equal(FuzzRunKind.Normal, target.Execute([]).Kind);   // no input: the first read ends the run
        }
    }

    [SkippableFact]
    public void EdgesGrowWithEachRightByteAndRepeatExactly()
    {
        Requires.WriteTracking();
        using var target = Target();
        string Edges(string input)
        {
            target.Execute(System.Text.Encoding.ASCII.GetBytes(input));
            return Convert.ToHexString(target.Edges);
        }
        // Each right byte takes another branch: a fuzzer sees every step towards the bug as new coverage.
        string[] maps = [Edges("xxxx"), Edges("Fxxx"), Edges("FUxx"), Edges("FUZx"), Edges("FUZ!")];
        Assert.Equal(maps.Length, maps.Distinct().Count());
        byte[] first = [.. (target.Execute("FUxx"u8) is var _ ? target.Edges : default)];
        byte[] again = [.. (target.Execute("FUxx"u8) is var _ ? target.Edges : default)];
        Assert.Equal(first, again);
    }

    [SkippableFact]
    public void AStartPointSkipsTheBootAndMustBeReachableWithoutInput()
    {
        Requires.WriteTracking();
        var image = FirmwareReader.Load(Planted);
        ulong parse = image.Symbols.First(s => s.Name == "parse").Address;
        using (var target = Target(new FuzzTargetOptions { StartAt = parse }))
        {
            Assert.Equal(FuzzRunKind.Crash, target.Execute("FUZ!"u8).Kind);
            var normal = target.Execute("FUZZ"u8);
            Assert.Equal(FuzzRunKind.Normal, normal.Kind);
        }
        // The store that crashes is only reached with input: starting there cannot work.
        var error = Assert.Throws<InvalidOperationException>(() => Target(new FuzzTargetOptions { StartAt = 0x0800_0FF0 }));
        Assert.Contains("input exhausted", error.Message);
    }

    // A fetch fault's signature carries the return address: calls to the same bad address from different places differ.
    [SkippableFact]
    public void A_fetch_faults_signature_names_the_caller()
    {
        Requires.WriteTracking();
        // Vector table (SP, reset at 0x08000008), then: ldr r0,[pc,#4]; blx r0; b .; nop; .word 0x60000001 (nothing there)
        byte[] flash = [0x00, 0x10, 0x00, 0x20, 0x09, 0x00, 0x00, 0x08, 0x01, 0x48, 0x80, 0x47, 0xFE, 0xE7, 0x00, 0xBF, 0x01, 0x00, 0x00, 0x60];
        var image = new FirmwareImage("inline", FirmwareFormat.Raw, [new FirmwareSegment(0x0800_0000, flash, "flash")]);
        using var target = FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), image, new FuzzTargetOptions());
        var run = target.Execute("x"u8);
        Assert.Equal((FuzzRunKind.Crash, "fetch-fault@0x60000000-from-0x0800000c"), (run.Kind, run.Signature));
    }

    // A prefix input leads to the start point, as Fuzzware's --prefix-input: runs go on where its bytes run out, so an
    // input there is read after the prefix ("FU" then "Z!" crashes as "FUZ!" does from reset), and the prefix must run out.
    [SkippableFact]
    public void APrefixInputLeadsToWhereRunsStart()
    {
        Requires.WriteTracking();
        using (var target = Target(new FuzzTargetOptions { StartInput = "FU"u8.ToArray() }))
        {
            Assert.Equal(FuzzRunKind.Crash, target.Execute("Z!"u8).Kind);
            Assert.Equal(FuzzRunKind.Normal, target.Execute("FUZ!"u8).Kind);   // read after the prefix: "FUFU"
            Assert.Equal(FuzzRunKind.Crash, target.Execute("Z!"u8).Kind);     // every run from the same start
        }
        // With a start point, the way there reads the prefix.
        ulong parse = FirmwareReader.Load(Planted).Symbols.First(s => s.Name == "parse").Address;
        using (var target = Target(new FuzzTargetOptions { StartAt = parse, StartInput = "xx"u8.ToArray() }))
        {
            Assert.Equal(FuzzRunKind.Crash, target.Execute("FUZ!"u8).Kind);
        }
        // A prefix the firmware crashes on has no start to give.
        var error = Assert.Throws<InvalidOperationException>(() => Target(new FuzzTargetOptions { StartInput = "FUZ!"u8.ToArray() }));
        Assert.Contains("The way to the start point faults reading the 4-byte prefix input", error.Message);
    }

    // The boot to the start point reads no input, but its blocks are not the runs': the consumption timeout counts from
    // the start point, as the block and interrupt limits do (carried over, a short timeout would end every run at once).
    [SkippableFact]
    public void TheInputTimeoutCountsFromTheStartPointNotFromReset()
    {
        Requires.WriteTracking();
        var image = FirmwareReader.Load(Planted);
        ulong parse = image.Symbols.First(s => s.Name == "parse").Address;
        // The boot (two blocks) takes more than this timeout; the runs read input in their first block.
        using var target = FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), image, new FuzzTargetOptions { StartAt = parse, InputTimeout = 1 });
        Assert.Equal(FuzzRunKind.Crash, target.Execute("FUZ!"u8).Kind);
        Assert.Equal(FuzzRunKind.Crash, target.Execute("FUZ!"u8).Kind);
    }

    // faults.elf installs fault handlers and raises one fault after another, printing each: in a fuzz run the first
    // guest fault is the crash (as in Fuzzware), at the same PC where the printed replay (memgate run --mmio-input) ends.
    [SkippableFact]
    public void AGuestFaultEndsTheRunAsACrashEvenWhereTheFirmwareHasAHandlerAsTheReplayDoes()
    {
        Requires.WriteTracking();
        string faults = Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "cortex-m", "faults.elf");
        using var target = FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), FirmwareReader.Load(faults), new FuzzTargetOptions());
        var run = target.Execute([]);
        Assert.Equal(FuzzRunKind.Crash, run.Kind);

        string input = Path.Combine(Path.GetTempPath(), $"memgate-empty-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(input, []);
        try
        {
            var (exit, _, replay) = Cli.CliRunner.Run("run", faults, "--device", "STM32F103", "--mmio-input", input);
            Assert.Equal(120, exit);
            Assert.Contains($"PC 0x{run.ProgramCounter:X8}", replay);
        }
        finally
        {
            File.Delete(input);
        }
    }

    [SkippableFact]
    public void ARunThatNeverEndsIsAHang()
    {
        Requires.WriteTracking();
        using var target = FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), null, new FuzzTargetOptions { MaxInstructions = 10_000 });
        // No image: flash is erased (0xFF: an undefined instruction) or zero; either way not a normal exit.
        var run = target.Execute("x"u8);
        Assert.NotEqual(FuzzRunKind.Normal, run.Kind);
    }

    internal static string Triggers => Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "placement", "triggers.elf");

    // tests/firmware/placement: interrupts every 500 instructions; the firmware exits (code 6) after six, at about 3,000 instructions.
    internal static DeviceDescription TriggerBoard(string extra = "") =>
        DeviceConfigReader.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "differential", "placement", "trigger-board.toml")) + extra,
            DeviceConfigFormat.Toml, "trigger-board.toml");

    [SkippableFact]
    public void TheBlockLimitOfEveryRunIsTheOptionsElseTheDevicesAndReachingItEndsTheRunNormally()
    {
        Requires.WriteTracking();
        var image = FirmwareReader.Load(Triggers);
        (FuzzRunKind, string) Run(DeviceDescription device, FuzzTargetOptions options)
        {
            using var target = FuzzTarget.Create(device, image, options);
            var first = target.Execute("x"u8);
            var second = target.Execute("y"u8);
            Assert.Equal((first.Kind, first.Reason), (second.Kind, second.Reason));   // every run, not the first only
            Assert.Equal(first.Kind == FuzzRunKind.Hang, first.Signature?.StartsWith("hang@", StringComparison.Ordinal) == true);
            return (first.Kind, first.Reason);
        }
        Assert.Equal((FuzzRunKind.Normal, "exit"), Run(TriggerBoard(), new FuzzTargetOptions()));
        Assert.Equal((FuzzRunKind.Normal, "block limit: 5 basic blocks"), Run(TriggerBoard(), new FuzzTargetOptions { MaxBlocks = 5 }));
        Assert.Equal((FuzzRunKind.Normal, "block limit: 7 basic blocks"), Run(TriggerBoard("[limits]\nblocks = 7\n"), new FuzzTargetOptions()));
        Assert.Equal((FuzzRunKind.Normal, "block limit: 5 basic blocks"), Run(TriggerBoard("[limits]\nblocks = 7\n"), new FuzzTargetOptions { MaxBlocks = 5 }));
        Assert.Equal((FuzzRunKind.Normal, "exit"), Run(TriggerBoard("[limits]\nblocks = 7\n"), new FuzzTargetOptions { MaxBlocks = 0 }));   // 0: none
    }

    [SkippableFact]
    public void TheInterruptLimitEndsEveryRunNormallyAndCountsFromTheStartPoint()
    {
        Requires.WriteTracking();
        var image = FirmwareReader.Load(Triggers);
        // 1,500 instructions are too few for the six interrupts the firmware waits for: a hang, unless the limit ends the run first.
        using (var target = FuzzTarget.Create(TriggerBoard(), image, new FuzzTargetOptions { MaxInstructions = 1500 }))
        {
            Assert.Equal(FuzzRunKind.Hang, target.Execute("x"u8).Kind);
        }
        foreach (var (device, options) in new[]
        {
            (TriggerBoard(), new FuzzTargetOptions { MaxInstructions = 1500, MaxInterrupts = 2 }),
            (TriggerBoard("[limits]\ninterrupts = 2\n"), new FuzzTargetOptions { MaxInstructions = 1500 }),
        })
        {
            using var target = FuzzTarget.Create(device, image, options);
            for (int run = 0; run < 2; run++)
            {
                var limited = target.Execute("x"u8);
                Assert.Equal((FuzzRunKind.Normal, "interrupt limit: 2 interrupts", (string?)null), (limited.Kind, limited.Reason, limited.Signature));
            }
        }
        // The way to a start point (six interrupts) is not one of the runs: the limit applies from there.
        ulong marker = image.Symbols.First(s => s.Name == "marker").Address;
        using (var target = FuzzTarget.Create(TriggerBoard(), image, new FuzzTargetOptions { StartAt = marker, MaxInterrupts = 2, MaxBlocks = 1000 }))
        {
            Assert.Equal((FuzzRunKind.Normal, "exit"), (target.Execute("x"u8).Kind, target.Execute("x"u8).Reason));
        }
    }

    // Runs over the first 64 edges of a map: (edge, hit count) pairs, later pairs of an edge overriding earlier ones.
    private static readonly Gen<(int Edge, byte Count)[][]> Runs = Gen.Select(Gen.Int[0, 63], Gen.Byte).Array[0, 20].Array[1, 30];

    private static byte[] MapOf((int Edge, byte Count)[] run)
    {
        var bytes = new byte[FuzzTarget.MapSize];
        foreach (var (edge, count) in run)
        {
            bytes[edge] = count;
        }
        return bytes;
    }

    [Fact]
    public void CoverageMapFindsExactlyTheRunsWithANewEdgeOrBucket()
    {
        // Model: the set of (index, bucket) pairs seen.
        Runs.Sample(runs =>
        {
            var map = new CoverageMap();
            var seen = new HashSet<(int, byte)>();
            var edges = new HashSet<int>();
            foreach (var run in runs)
            {
                var bytes = MapOf(run);
                bool expected = false;
                for (int i = 0; i < 64; i++)
                {
                    if (bytes[i] != 0)
                    {
                        expected |= seen.Add((i, CoverageMap.Bucket(bytes[i])));
                        edges.Add(i);
                    }
                }
                Assert.Equal(expected, map.Add(bytes));
                Assert.Equal(edges.Count, map.Edges);
            }
        });
    }

    [Fact]
    public void CoverageMapOfHangsFindsExactlyTheRunsWithANewEdgeWhateverTheCounts()
    {
        // Model: the set of indices seen (AFL's simplified trace for hangs).
        Runs.Sample(runs =>
        {
            var map = new CoverageMap();
            var edges = new HashSet<int>();
            foreach (var run in runs)
            {
                var bytes = MapOf(run);
                bool expected = false;
                for (int i = 0; i < 64; i++)
                {
                    expected |= bytes[i] != 0 && edges.Add(i);
                }
                Assert.Equal(expected, map.AddEdges(bytes));
                Assert.Equal(edges.Count, map.Edges);
            }
        });
    }
}
