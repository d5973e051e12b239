using MemGate.Memory;

namespace MemGate.Engine;

/// <summary>
/// What an <see cref="ICpuEngine"/> reports to its owner while it runs. Each call happens on the running
/// thread with the CPU stopped at that point; registers and memory may be read and changed (setting the PC
/// redirects execution). An exception thrown here never reaches native code: the engine stops and hands
/// it to <see cref="CallbackFailed"/>.
/// </summary>
public interface ICpuEngineEvents
{
    /// <summary>
    /// How many instructions the code bytes at <paramref name="address"/> hold (the engine counts a block's once, when it
    /// first sees the block); 0 for code that is not the guest's own (a machine's helper code, which the count leaves out).
    /// </summary>
    uint CountInstructions(ulong address, ReadOnlySpan<byte> code);

    /// <summary>
    /// A block at <paramref name="address"/> is about to run, counted in <see cref="ICpuEngine.Instructions"/>:
    /// reported for new blocks, after <see cref="ICpuEngine.ReportNextBlock"/>, and when the instructions the
    /// last call returned have run. Returns the instructions until the next report is needed (0: the next
    /// block; <see cref="ulong.MaxValue"/>: only new blocks).
    /// </summary>
    ulong BlockEntered(ulong address);

    /// <summary>The CPU raised exception or interrupt <paramref name="number"/> (the engine's numbering) and did not take it.</summary>
    void Interrupt(uint number);

    /// <summary>
    /// An access to memory nothing is mapped at (<paramref name="unmapped"/>) or against a mapping's
    /// permissions: true when the owner made it valid and the access is to be retried; false stops the run
    /// with a <see cref="CpuEngineError.MemoryAccess"/> error.
    /// </summary>
    bool InvalidAccess(AccessKind access, bool unmapped, ulong address, int size, ulong value);

    /// <summary>An instruction hooked with <see cref="ICpuEngine.HookInstruction"/> is about to run (setting the PC skips it).</summary>
    void InstructionReached(ulong address);

    /// <summary>A data access watched with <see cref="ICpuEngine.WatchMemory"/> is about to happen (the instruction making it completes).</summary>
    void MemoryWatched(AccessKind access, ulong address, int size);

    /// <summary>The instruction at <paramref name="address"/>, <paramref name="size"/> bytes long, is about to run (while <see cref="ICpuEngine.ReportEveryInstruction"/> is on); setting the PC skips it.</summary>
    void InstructionStarting(ulong address, uint size);

    /// <summary>An MRS of <paramref name="register"/> is about to run: true with <paramref name="value"/> to serve it here (the engine then skips it).</summary>
    bool SystemRegisterRead(SystemRegister register, out ulong value);

    /// <summary>An MSR of <paramref name="value"/> to <paramref name="register"/> is about to run: true when served here (the engine then skips it).</summary>
    bool SystemRegisterWritten(SystemRegister register, ulong value);

    /// <summary>An event (or an MMIO handler) threw <paramref name="error"/>; the engine stops after this returns. Must not throw.</summary>
    void CallbackFailed(Exception error);
}
