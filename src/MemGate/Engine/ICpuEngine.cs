using MemGate.Memory;

namespace MemGate.Engine;

/// <summary>
/// A CPU core that runs guest code on memory it is given: the seam between the machines (reset,
/// exceptions, interrupt delivery, timers: policy) and whatever executes instructions (Unicorn today; an
/// interpreter, such as one for AVR, could be another). The engine only executes and reports: RAM and
/// flash are the owner's host pages mapped in place, peripherals are the owner's <see cref="IMmioHandler"/>s,
/// and everything the core meets that it cannot decide (a block boundary where the owner asked to look,
/// an exception, an invalid access, a hooked instruction, a system register) goes to the owner's
/// <see cref="ICpuEngineEvents"/>. The engine counts executed instructions itself, so the owner's clocks
/// need no call per instruction or per block.
/// </summary>
/// <remarks>
/// Register ids are the engine's own (for Unicorn, unicorn.h's <c>UC_*_REG_*</c>). Methods called from an
/// event run on the engine's thread while it is inside <see cref="Run"/>; only <see cref="Stop"/> may be
/// called from another thread. Failures of the engine itself are <see cref="CpuEngineException"/>s.
/// </remarks>
/// <example>
/// <code>
/// engine.Attach(events);
/// engine.MapHost(0x0800_0000, 0x1_0000, Permissions.ReadExecute, flash);
/// engine.MapMmio(0x4000_0000, 0x400, uart);
/// var error = engine.Run(start: 0x0800_0001, until: halt, timeout: null, count: 0);
/// </code>
/// </example>
public interface ICpuEngine : IDisposable
{
    /// <summary>The engine's mapping granule: every mapped range starts and ends on a multiple of it.</summary>
    ulong PageSize { get; }

    /// <summary>Instructions executed in this count (block by block, corrected by <see cref="CountUpTo"/>); setting it starts a new count.</summary>
    ulong Instructions { get; set; }

    /// <summary>Basic blocks entered since the engine was created (never reset: callers take differences), except those <see cref="ExcludeFromBlockCount"/> leaves out.</summary>
    ulong Blocks { get; }

    /// <summary>The instructions of the block last entered (valid in <see cref="ICpuEngineEvents.BlockEntered"/>).</summary>
    uint BlockInstructions { get; }

    /// <summary>The size in bytes of the block last entered (valid in <see cref="ICpuEngineEvents.BlockEntered"/>).</summary>
    uint BlockSize { get; }

    /// <summary>Where the block last entered starts (an instruction a code or memory hook reports lies in it).</summary>
    ulong BlockAddress { get; }

    /// <summary>Sends the engine's events to <paramref name="events"/> (once, before the first mapping or run).</summary>
    void Attach(ICpuEngineEvents events);

    /// <summary>Maps host memory at <paramref name="host"/> as guest [address, address + size): guest accesses go straight to it.</summary>
    /// <remarks>The memory must outlive the engine; <paramref name="permissions"/> are enforced by the engine.</remarks>
    void MapHost(ulong address, ulong size, Permissions permissions, nint host);

    /// <summary>
    /// Leaves blocks that start in [address, address + size) out of <see cref="Blocks"/>: the owner's own code
    /// (a halt page, exception-entry helpers) is not the guest's, and must not move clocks that count the guest's blocks.
    /// </summary>
    void ExcludeFromBlockCount(ulong address, ulong size);

    /// <summary>
    /// Lets the engine translate addresses itself wherever <paramref name="rule"/> says the CPU's MMU would map
    /// them one to one without a fault (once, before the first run). Engines that keep code and data pages apart
    /// this way keep stores fast: Unicorn sends every store to a page the CPU may execute from through its slow
    /// path (to notice self-modifying code), and without an MPU every RAM page of a Cortex-M or a RISC-V hart in
    /// machine mode may be executed. A page the rule declines goes to the CPU's MMU for the rest of that run;
    /// <paramref name="applies"/>, when given, is asked at the start of each run whether the rule can say yes at all
    /// (the CPU's MMU is off): if not, the run starts with the CPU's MMU instead of stopping at its first page.
    /// </summary>
    void TranslateDirectly(DirectTranslationRule rule, Func<bool>? applies = null);

    /// <summary>Whether the engine can see its own stores (see <see cref="ReportWrites"/>): not where the CPU's MMU alone translates.</summary>
    bool CanReportWrites { get; }

    /// <summary>
    /// Reports the engine's stores into memory mapped with <see cref="MapHost"/> to <paramref name="witness"/> (null:
    /// stops), for snapshot restores that need no page-table walk; a run in which it cannot see them (the CPU's MMU
    /// translating) tells the witness so.
    /// </summary>
    /// <exception cref="NotSupportedException">A witness, and <see cref="CanReportWrites"/> is false.</exception>
    void ReportWrites(WriteWitness? witness);

    /// <summary>Maps memory the engine allocates and owns (filled with <see cref="WriteMemory"/>).</summary>
    void MapPrivate(ulong address, ulong size, Permissions permissions);

    /// <summary>Sends every guest access to [address, address + size) to <paramref name="handler"/> (offsets from <paramref name="address"/>); before the first <see cref="Run"/>.</summary>
    void MapMmio(ulong address, ulong size, IMmioHandler handler);

    /// <summary>Reads a register by the engine's id.</summary>
    ulong ReadRegister(int id);

    /// <summary>Writes a register by the engine's id.</summary>
    void WriteRegister(int id, ulong value);

    /// <summary>Reads a register wider than 64 bits (a 128-bit vector register) by the engine's id into <paramref name="value"/> (little-endian, as wide as the register).</summary>
    void ReadRegister(int id, Span<byte> value);

    /// <summary>Writes a register wider than 64 bits from <paramref name="value"/> (little-endian, as wide as the register).</summary>
    void WriteRegister(int id, ReadOnlySpan<byte> value);

    /// <summary>Reads guest memory as the CPU sees it (MMIO included); false when part of the range is not mapped.</summary>
    bool TryReadMemory(ulong address, Span<byte> destination);

    /// <summary>Writes guest memory as the CPU sees it.</summary>
    void WriteMemory(ulong address, ReadOnlySpan<byte> source);

    /// <summary>
    /// Runs from <paramref name="start"/> until the PC reaches <paramref name="until"/>, <paramref name="count"/>
    /// instructions ran (0: no limit; exact while they run in a straight line from <paramref name="start"/>, as the
    /// rest of a block does), <paramref name="timeout"/> passed, or <see cref="Stop"/>; returns the
    /// engine's error when it stopped on one (an instruction it could not run, an access nobody handled), else null.
    /// </summary>
    CpuEngineException? Run(ulong start, ulong until, TimeSpan? timeout, ulong count);

    /// <summary>Ends <see cref="Run"/> as soon as possible; from an event or another thread, and harmless once disposed.</summary>
    void Stop();

    /// <summary>Drops translated code and instruction counts for [address, address + length): needed after the host writes code.</summary>
    void InvalidateCode(ulong address, ulong length);

    /// <summary>Forgets the instruction counts of all blocks, so each reports <see cref="ICpuEngineEvents.BlockEntered"/> again when next entered.</summary>
    void ForgetBlocks();

    /// <summary>
    /// Makes blocks holding the instruction at <paramref name="address"/> report <see cref="ICpuEngineEvents.BlockEntered"/>
    /// at every entry, not only when new (<paramref name="report"/> true), or stops that again (false). Calls pair up:
    /// blocks report while any caller still wants it.
    /// </summary>
    void ReportEveryEntry(ulong address, bool report);

    /// <summary>
    /// Makes the next block report <see cref="ICpuEngineEvents.BlockEntered"/> (the owner's state changed). Safe from
    /// any thread: a request that races with the report of the block being entered is kept for the next one.
    /// </summary>
    void ReportNextBlock();

    /// <summary>
    /// The instruction at <paramref name="pc"/> in the block last entered ended it (exception, exit): count the block
    /// only up to and including it, or only up to it when it did not run (<paramref name="including"/> false: a stop point).
    /// With <paramref name="raised"/>, <paramref name="pc"/> is the address of an instruction that raised an exception, which
    /// counts even right after the block's end (an engine can leave an instruction that raises at translation out of the block).
    /// </summary>
    void CountUpTo(ulong pc, bool including = true, bool raised = false);

    /// <summary>Saves every register of the CPU.</summary>
    ICpuContext SaveContext();

    /// <summary>Saves every register into <paramref name="context"/>, which <see cref="SaveContext()"/> of this engine made (no allocation: for saving often).</summary>
    void SaveContext(ICpuContext context);

    /// <summary>Puts registers saved by <see cref="SaveContext()"/> of this engine back.</summary>
    void RestoreContext(ICpuContext context);

    /// <summary>Reports <see cref="ICpuEngineEvents.InstructionReached"/> before the instruction at <paramref name="address"/> runs (code translated before this call is not affected).</summary>
    void HookInstruction(ulong address);

    /// <summary>Undoes one <see cref="HookInstruction"/> of <paramref name="address"/> (the hook goes when every caller that added it has removed it).</summary>
    void UnhookInstruction(ulong address);

    /// <summary>
    /// Reports <see cref="ICpuEngineEvents.MemoryWatched"/> for the CPU's data accesses of the given kinds that
    /// start in [address - 7, address + length) (the owner decides which overlap); returns an id for
    /// <see cref="UnwatchMemory"/>. Code translated before this call is retranslated.
    /// </summary>
    int WatchMemory(ulong address, ulong length, bool reads, bool writes);

    /// <summary>Ends a <see cref="WatchMemory"/>.</summary>
    void UnwatchMemory(int id);

    /// <summary>
    /// While on, reports <see cref="ICpuEngineEvents.InstructionStarting"/> before every instruction (slow: a call
    /// per instruction; for watchpoints). Shares its hook with <see cref="ObserveInstructions"/>. Code translated before this call is retranslated.
    /// </summary>
    void ReportEveryInstruction(bool enabled);

    /// <summary>
    /// Counts every transition between blocks into <paramref name="map"/> (<paramref name="size"/> bytes, a power
    /// of two), AFL's way, in native code; <paramref name="map"/> 0 stops. The memory must outlive the tracing.
    /// </summary>
    void TraceEdges(nint map, int size);

    /// <summary>Starts the next edge from nowhere (a new run), as AFL does at each execution.</summary>
    void RestartEdges();

    /// <summary>
    /// The block being entered at <paramref name="address"/> is entered again at once, before any of it ran (translated
    /// anew): the edge map counts only the second entry (from where the first came), or none if the run stops there.
    /// </summary>
    void ReenterBlock(ulong address);

    /// <summary>AArch64: reports every MRS and MSR to the events (code translated before this call is not affected).</summary>
    /// <exception cref="CpuEngineException">The engine's CPU has no such instructions.</exception>
    void HookSystemRegisters();

    /// <summary>AArch64: reads a system register by its encoding.</summary>
    ulong ReadSystemRegister(SystemRegister register);

    /// <summary>AArch64: writes a system register by its encoding (the CPU's cached state, such as its exception level, follows).</summary>
    void WriteSystemRegister(SystemRegister register, ulong value);

    /// <summary>
    /// Reports every instruction to <paramref name="observer"/> before it runs, from the next translation on (call
    /// it before the first run). Slow: one call per instruction. Engines that cannot do it throw.
    /// </summary>
    /// <exception cref="InvalidOperationException">An observer is already attached.</exception>
    void ObserveInstructions(IInstructionObserver observer);
}
