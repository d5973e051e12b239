using System.Runtime.InteropServices;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Engine;
using MemGate.Memory;
using MemGate.Native;

namespace MemGate.Tests.Engine;

/// <summary>The CPU engine through <see cref="ICpuEngine"/> alone: hand-assembled Thumb on host pages, events, typed errors, and a machine over an engine it was given.</summary>
public sealed unsafe class UnicornEngineTests : IDisposable
{
    private const ulong Code = 0x0800_0000;
    private const ulong Ram = 0x2000_0000;
    private const ulong Peripheral = 0x4000_0000;
    private readonly nint _code = (nint)NativeMemory.AlignedAlloc(0x1000, 0x1000);
    private readonly nint _ram = (nint)NativeMemory.AlignedAlloc(0x1000, 0x1000);

    public UnicornEngineTests()
    {
        new Span<byte>((void*)_code, 0x1000).Clear();
        new Span<byte>((void*)_ram, 0x1000).Clear();
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree((void*)_code);
        NativeMemory.AlignedFree((void*)_ram);
    }

    // An M3 engine with code and RAM on this test's host pages and a 1 KiB peripheral.
    private ICpuEngine Open(Events events, params ushort[] thumb)
    {
        ICpuEngine engine = UnicornEngine.ForDevice(DeviceTemplates.Load("STM32F103"));
        engine.Attach(events);
        engine.MapHost(Code, 0x1000, Permissions.ReadExecute, _code);
        engine.MapHost(Ram, 0x1000, Permissions.ReadWrite, _ram);
        engine.MapMmio(Peripheral, engine.PageSize, events);
        thumb.CopyTo(new Span<ushort>((void*)_code, thumb.Length));
        return engine;
    }

    [Fact]
    public void Runs_a_hand_assembled_program_on_host_pages_and_counts_its_instructions()
    {
        var events = new Events();
        // movs r0, #10; loop: subs r0, #1; bne loop; str r0, [r1]; b .   (r1 = RAM)
        using var engine = Open(events, 0x200A, 0x3801, 0xD1FD, 0x6008, 0xE7FE);
        engine.WriteRegister(Unicorn.ArmRegR1, Ram + 4);
        *(uint*)(_ram + 4) = 0xFFFF_FFFF;
        var error = engine.Run(Code | 1, until: Code + 8, timeout: TimeSpan.FromSeconds(10), count: 0);
        Assert.Null(error);
        Assert.Equal(Code + 8, engine.ReadRegister(Unicorn.ArmRegPc));
        Assert.Equal(0U, *(uint*)(_ram + 4));   // the store landed in the test's own page
        Assert.Equal(1 + 2 * 10 + 1UL, engine.Instructions);
        Assert.Contains(Code, events.Blocks);
    }

    [Fact]
    public void Mmio_accesses_reach_the_handler_with_offsets()
    {
        var events = new Events { ReadValue = 0x1234 };
        // ldr r2, [r1, #8]; str r2, [r1, #12]; b .   (r1 = the peripheral)
        using var engine = Open(events, 0x688A, 0x60CA, 0xE7FE);
        engine.WriteRegister(Unicorn.ArmRegR1, Peripheral);
        Assert.Null(engine.Run(Code | 1, until: Code + 4, timeout: TimeSpan.FromSeconds(10), count: 0));
        Assert.Equal([(8UL, 4, 0UL, false), (12UL, 4, 0x1234UL, true)], events.Mmio);
    }

    // movs r0, #1; cmp r0, #1; ite eq; ldreq r2, [r1]; movne r2, #7; b 1f; 1: movs r4, #5; movs r5, #6; b .
    private static readonly ushort[] LoadInItBlock = [0x2001, 0x2801, 0xBF0C, 0x680A, 0x2207, 0xE7FF, 0x2405, 0x2506, 0xE7FE];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_load_inside_an_it_block_leaves_the_blocks_after_it_unconditional(bool mmio)
    {
        // Unicorn puts the load's own IT state into the CPU for the MMIO call-back or the TLB fill; left there, the
        // next block would be translated as the IT block's rest and skip "movs r5, #6".
        var events = new Events { ReadValue = 0x1234 };
        using var engine = Open(events, LoadInItBlock);
        if (!mmio)
        {
            engine.TranslateDirectly((_, _) => true);   // the load's TLB fill comes to the engine
        }
        *(uint*)_ram = 0x1234;
        engine.WriteRegister(Unicorn.ArmRegR1, mmio ? Peripheral : Ram);
        Assert.Null(engine.Run(Code | 1, until: Code + 0x10, timeout: TimeSpan.FromSeconds(10), count: 0));
        Assert.Equal(0x1234UL, engine.ReadRegister(Unicorn.ArmRegR2));
        Assert.Equal(5UL, engine.ReadRegister(Unicorn.ArmRegR4));
        Assert.Equal(6UL, engine.ReadRegister(Unicorn.ArmRegR5));
        Assert.Equal(0UL, engine.ReadRegister(Unicorn.ArmRegXpsr) & 0x0600_FC00);
        Assert.Equal(8UL, engine.Instructions);
    }

    [Fact]
    public void A_page_the_translation_rule_declines_goes_on_through_the_cpus_mmu_with_exact_counts()
    {
        var events = new Events();
        // movs r0, #10; loop: subs r0, #1; bne loop; ldr r2, [r1]; str r2, [r1, #4]; b .
        using var engine = Open(events, 0x200A, 0x3801, 0xD1FD, 0x680A, 0x604A, 0xE7FE);
        var asked = new List<(ulong, AccessKind)>();
        engine.TranslateDirectly((page, access) =>
        {
            asked.Add((page, access));
            return access != AccessKind.Read;
        });
        engine.WriteRegister(Unicorn.ArmRegR1, Ram);
        *(uint*)_ram = 0xCAFE;
        Assert.Null(engine.Run(Code | 1, until: Code + 10, timeout: TimeSpan.FromSeconds(10), count: 0));
        Assert.Equal(0xCAFEU, *(uint*)(_ram + 4));
        Assert.Equal(1 + 2 * 10 + 2UL, engine.Instructions);
        Assert.Contains((Ram, AccessKind.Read), asked);
        Assert.DoesNotContain((Ram, AccessKind.Write), asked);   // the rest of the run: the CPU's MMU
    }

    // An M3 engine with code and executable RAM on this test's host pages, translating directly where `rule` says.
    private ICpuEngine OpenWithExecutableRam(DirectTranslationRule rule)
    {
        ICpuEngine engine = UnicornEngine.ForDevice(DeviceTemplates.Load("STM32F103"));
        engine.Attach(new Events());
        engine.MapHost(Code, 0x1000, Permissions.ReadExecute, _code);
        engine.MapHost(Ram, 0x1000, Permissions.All, _ram);
        engine.TranslateDirectly(rule);
        return engine;
    }

    // r1 = the RAM code's address (RAM + 0x100), r3 = "movs r0, #2; bx lr" to write over it, r4 = its Thumb address.
    private static void PointAtRamCode(ICpuEngine engine, ulong r2)
    {
        engine.WriteRegister(Unicorn.ArmRegR1, Ram + 0x100);
        engine.WriteRegister(Unicorn.ArmRegR2, r2);
        engine.WriteRegister(Unicorn.ArmRegR3, 0x4770_2002);
        engine.WriteRegister(Unicorn.ArmRegR4, Ram + 0x101);
    }

    [Fact]
    public void Code_the_guest_writes_over_runs_as_written_with_direct_translation()
    {
        // Stores to a page leave Unicorn's slow path only while it holds no translated code: a page executed from
        // and then written must drop its translations. str r2, [r1]; blx r4; mov r5, r0; str r3, [r1]; blx r4; b .
        // with r2/r3 = "movs r0, #1; bx lr" / "movs r0, #2; bx lr" and r4 = that RAM code (Thumb).
        using var engine = OpenWithExecutableRam((_, _) => true);
        ushort[] thumb = [0x600A, 0x47A0, 0x4605, 0x600B, 0x47A0, 0xE7FE];
        thumb.CopyTo(new Span<ushort>((void*)_code, thumb.Length));
        PointAtRamCode(engine, r2: 0x4770_2001);
        Assert.Null(engine.Run(Code | 1, until: Code + 10, timeout: TimeSpan.FromSeconds(10), count: 0));
        Assert.Equal(1UL, engine.ReadRegister(Unicorn.ArmRegR5));
        Assert.Equal(2UL, engine.ReadRegister(Unicorn.ArmRegR0));
    }

    [Fact]
    public void Code_translated_while_the_cpus_mmu_translates_is_still_dropped_when_overwritten()
    {
        // Run 1: a declined load hands the rest of the run to the CPU's MMU, which runs RAM code ("movs r0, #1; bx lr").
        // Run 2, translating directly again: a store elsewhere in that page, then one over the code, which must run as written.
        bool decline = true;
        using var engine = OpenWithExecutableRam((_, access) => !(decline && access == AccessKind.Read));
        // Code: ldr r5, [r1, #64]; blx r4; b .    Code + 0x20: str r2, [r1, #64]; str r3, [r1]; blx r4; b .
        ushort[] first = [0x6C0D, 0x47A0, 0xE7FE];
        ushort[] second = [0x640A, 0x600B, 0x47A0, 0xE7FE];
        first.CopyTo(new Span<ushort>((void*)_code, first.Length));
        second.CopyTo(new Span<ushort>((void*)(_code + 0x20), second.Length));
        *(uint*)(_ram + 0x100) = 0x4770_2001;
        PointAtRamCode(engine, r2: 0x1234);
        Assert.Null(engine.Run(Code | 1, until: Code + 4, timeout: TimeSpan.FromSeconds(10), count: 0));
        Assert.Equal(1UL, engine.ReadRegister(Unicorn.ArmRegR0));
        decline = false;
        Assert.Null(engine.Run((Code + 0x20) | 1, until: Code + 0x26, timeout: TimeSpan.FromSeconds(10), count: 0));
        Assert.Equal(2UL, engine.ReadRegister(Unicorn.ArmRegR0));
        Assert.Equal(0x1234U, *(uint*)(_ram + 0x140));
    }

    [Fact]
    public void A_risc_v_hart_in_user_mode_goes_through_the_cpus_mmu()
    {
        // mret into user mode (MPP = 0) at +0x100: sw a1, 0(a0). The rule of the RISC-V machine declines user mode.
        using ICpuEngine engine = UnicornEngine.ForDevice(DeviceTemplates.Load("RV32"));
        engine.Attach(new Events());
        engine.MapHost(Ram, 0x1000, Permissions.All, _ram);
        var declined = new List<(ulong, AccessKind)>();
        engine.TranslateDirectly((page, access) =>
        {
            bool machine = engine.ReadRegister(Unicorn.RiscvRegPriv) == 3;
            if (!machine)
            {
                declined.Add((page, access));
            }
            return machine;
        });
        *(uint*)_ram = 0x3020_0073;                 // mret
        *(uint*)(_ram + 0x100) = 0x00B5_2023;       // sw a1, 0(a0)
        engine.WriteRegister(Unicorn.RiscvRegMepc, Ram + 0x100);
        engine.WriteRegister(Unicorn.RiscvRegMstatus, 0);
        engine.WriteRegister(Unicorn.RiscvRegA0, Ram + 0x800);
        engine.WriteRegister(Unicorn.RiscvRegA0 + 1, 0x1234);
        Assert.Null(engine.Run(Ram, until: Ram + 0x104, timeout: TimeSpan.FromSeconds(10), count: 0));
        Assert.Equal(Ram + 0x104, engine.ReadRegister(Unicorn.RiscvRegPc));
        Assert.Equal(0x1234U, *(uint*)(_ram + 0x800));
        Assert.Equal([(Ram, AccessKind.Execute)], declined);   // the user-mode fetch; the rest of the run went through the CPU's MMU
    }

    [Fact]
    public void An_unmapped_access_is_reported_and_stops_the_run_with_a_typed_error()
    {
        var events = new Events();
        // ldr r2, [r1]; b .   (r1 = nothing)
        using var engine = Open(events, 0x680A, 0xE7FE);
        engine.WriteRegister(Unicorn.ArmRegR1, 0x6000_0000);
        var error = engine.Run(Code | 1, until: Code + 2, timeout: TimeSpan.FromSeconds(10), count: 0);
        Assert.Equal(CpuEngineError.MemoryAccess, error?.Error);
        Assert.Equal([(AccessKind.Read, true, 0x6000_0000UL, 4)], events.Invalid);
    }

    [Fact]
    public void An_exception_thrown_in_an_event_stops_the_run_and_reaches_the_owner()
    {
        var events = new Events { Throw = new InvalidOperationException("model broke") };
        using var engine = Open(events, 0x688A, 0xE7FE);
        engine.WriteRegister(Unicorn.ArmRegR1, Peripheral);
        engine.Run(Code | 1, until: Code + 2, timeout: TimeSpan.FromSeconds(10), count: 0);
        Assert.Same(events.Throw, events.Failed);
    }

    [Fact]
    public void Engine_failures_are_typed_exceptions()
    {
        using var engine = Open(new Events());
        var e = Assert.Throws<CpuEngineException>(() => engine.MapHost(0x123, 0x1000, Permissions.ReadWrite, _ram));   // not on a page boundary
        Assert.Equal(CpuEngineError.Other, e.Error);
        Assert.Contains("uc_mem_map_ptr", e.Message);
        Assert.IsAssignableFrom<MemGateException>(e);
        using var context = engine.SaveContext();
        using var other = Open(new Events());
        Assert.Throws<ArgumentException>(() => other.RestoreContext(context));
    }

    [Fact]
    public void A_saved_context_puts_the_registers_back()
    {
        using var engine = Open(new Events());
        engine.WriteRegister(Unicorn.ArmRegR0, 7);
        using var context = engine.SaveContext();
        engine.WriteRegister(Unicorn.ArmRegR0, 9);
        engine.RestoreContext(context);
        Assert.Equal(7UL, engine.ReadRegister(Unicorn.ArmRegR0));
    }

    [Fact]
    public void A_machine_runs_over_the_engine_its_factory_gave_it()
    {
        var device = DeviceTemplates.Load("STM32F103");
        var made = new List<CountingEngine>();
        var options = new FirmwareMachineOptions { EngineFactory = d => { var e = new CountingEngine(UnicornEngine.ForDevice(d)); made.Add(e); return e; } };
        using var machine = CortexMMachine.Create(device, TextWriter.Null, options);
        var flash = machine.Memory.Main.Debug;
        flash.WriteUInt32(new GuestAddress(0x0800_0000), 0x2000_1000);
        flash.WriteUInt32(new GuestAddress(0x0800_0004), 0x0800_0041);
        // movs r0, #0x18; ldr r1, [pc, #4] (= 0x20026); bkpt 0xAB: semihosting SYS_EXIT, ADP_Stopped_ApplicationExit
        ushort[] code = [0x2018, 0x4901, 0xBEAB, 0x0000, 0x0026, 0x0002];
        for (int i = 0; i < code.Length; i++)
        {
            flash.WriteUInt16(new GuestAddress(0x0800_0040 + 2UL * (ulong)i), code[i]);
        }
        var result = machine.Run(maxInstructions: 1000, timeout: TimeSpan.FromSeconds(10));
        Assert.Equal((0, RunOutcome.Exit, 3UL), (result.ExitCode, result.Outcome, result.Instructions));
        Assert.True(Assert.Single(made).Runs >= 1);
    }

    /// <summary>Records what the engine reports; also serves the test's peripheral.</summary>
    private sealed class Events : ICpuEngineEvents, IMmioHandler
    {
        public List<ulong> Blocks { get; } = [];
        public List<(ulong Offset, int Size, ulong Value, bool Write)> Mmio { get; } = [];
        public List<(AccessKind, bool, ulong, int)> Invalid { get; } = [];
        public ulong ReadValue { get; init; }
        public Exception? Throw { get; init; }
        public Exception? Failed { get; private set; }

        // Thumb: a halfword whose top five bits are 0b11101, 0b11110 or 0b11111 starts a 32-bit instruction.
        public uint CountInstructions(ulong address, ReadOnlySpan<byte> code)
        {
            uint count = 0;
            for (int i = 0; i + 1 < code.Length; count++)
            {
                i += code[i + 1] >> 3 is 0b11101 or 0b11110 or 0b11111 ? 4 : 2;
            }
            return count;
        }

        public ulong BlockEntered(ulong address)
        {
            Blocks.Add(address);
            return ulong.MaxValue;
        }

        public void Interrupt(uint number)
        {
        }

        public bool InvalidAccess(AccessKind access, bool unmapped, ulong address, int size, ulong value)
        {
            Invalid.Add((access, unmapped, address, size));
            return false;
        }

        public void MemoryWatched(AccessKind access, ulong address, int size)
        {
        }

        public void InstructionStarting(ulong address, uint size)
        {
        }

        public void InstructionReached(ulong address)
        {
        }

        public bool SystemRegisterRead(SystemRegister register, out ulong value)
        {
            value = 0;
            return false;
        }

        public bool SystemRegisterWritten(SystemRegister register, ulong value) => false;

        public void CallbackFailed(Exception error) => Failed = error;

        public ulong Read(ulong offset, int size)
        {
            if (Throw is not null)
            {
                throw Throw;
            }
            Mmio.Add((offset, size, 0, false));
            return ReadValue;
        }

        public void Write(ulong offset, int size, ulong value) => Mmio.Add((offset, size, value, true));
    }

    /// <summary>Another engine as far as the machine can tell: forwards to an inner one and counts runs.</summary>
    private sealed class CountingEngine(ICpuEngine inner) : ICpuEngine
    {
        public int Runs { get; private set; }
        public ulong PageSize => inner.PageSize;
        public ulong Instructions { get => inner.Instructions; set => inner.Instructions = value; }
        public uint BlockInstructions => inner.BlockInstructions;
        public ulong Blocks => inner.Blocks;
        public uint BlockSize => inner.BlockSize;
        public ulong BlockAddress => inner.BlockAddress;
        public void Attach(ICpuEngineEvents events) => inner.Attach(events);
        public void MapHost(ulong address, ulong size, Permissions permissions, nint host) => inner.MapHost(address, size, permissions, host);
        public void ExcludeFromBlockCount(ulong address, ulong size) => inner.ExcludeFromBlockCount(address, size);
        public void TranslateDirectly(DirectTranslationRule rule, Func<bool>? applies = null) => inner.TranslateDirectly(rule, applies);
        public bool CanReportWrites => inner.CanReportWrites;
        public void ReportWrites(WriteWitness? witness) => inner.ReportWrites(witness);
        public void MapPrivate(ulong address, ulong size, Permissions permissions) => inner.MapPrivate(address, size, permissions);
        public void MapMmio(ulong address, ulong size, IMmioHandler handler) => inner.MapMmio(address, size, handler);
        public ulong ReadRegister(int id) => inner.ReadRegister(id);
        public void WriteRegister(int id, ulong value) => inner.WriteRegister(id, value);
        public void ReadRegister(int id, Span<byte> value) => inner.ReadRegister(id, value);
        public void WriteRegister(int id, ReadOnlySpan<byte> value) => inner.WriteRegister(id, value);
        public bool TryReadMemory(ulong address, Span<byte> destination) => inner.TryReadMemory(address, destination);
        public void WriteMemory(ulong address, ReadOnlySpan<byte> source) => inner.WriteMemory(address, source);

        public CpuEngineException? Run(ulong start, ulong until, TimeSpan? timeout, ulong count)
        {
            Runs++;
            return inner.Run(start, until, timeout, count);
        }

        public void Stop() => inner.Stop();
        public void InvalidateCode(ulong address, ulong length) => inner.InvalidateCode(address, length);
        public void ForgetBlocks() => inner.ForgetBlocks();
        public void ReportEveryEntry(ulong address, bool report) => inner.ReportEveryEntry(address, report);
        public void ReportNextBlock() => inner.ReportNextBlock();
        public void CountUpTo(ulong pc, bool including = true, bool raised = false) => inner.CountUpTo(pc, including, raised);
        public ICpuContext SaveContext() => inner.SaveContext();
        public void SaveContext(ICpuContext context) => inner.SaveContext(context);
        public void RestoreContext(ICpuContext context) => inner.RestoreContext(context);
        public void HookInstruction(ulong address) => inner.HookInstruction(address);
        public void UnhookInstruction(ulong address) => inner.UnhookInstruction(address);
        public int WatchMemory(ulong address, ulong length, bool reads, bool writes) => inner.WatchMemory(address, length, reads, writes);
        public void UnwatchMemory(int id) => inner.UnwatchMemory(id);
        public void ReportEveryInstruction(bool enabled) => inner.ReportEveryInstruction(enabled);
        public void ObserveInstructions(IInstructionObserver observer) => inner.ObserveInstructions(observer);
        public void TraceEdges(nint map, int size) => inner.TraceEdges(map, size);
        public void RestartEdges() => inner.RestartEdges();
        public void ReenterBlock(ulong address) => inner.ReenterBlock(address);
        public void HookSystemRegisters() => inner.HookSystemRegisters();
        public ulong ReadSystemRegister(SystemRegister register) => inner.ReadSystemRegister(register);
        public void WriteSystemRegister(SystemRegister register, ulong value) => inner.WriteSystemRegister(register, value);
        public void Dispose() => inner.Dispose();
    }
}
