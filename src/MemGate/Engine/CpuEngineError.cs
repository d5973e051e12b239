namespace MemGate.Engine;

/// <summary>Why a CPU engine failed or stopped a run on its own.</summary>
public enum CpuEngineError
{
    /// <summary>Anything else: a bad argument, a mapping that cannot be made, no memory.</summary>
    Other,

    /// <summary>An instruction the CPU cannot run (undefined, or not in the current instruction set state).</summary>
    InvalidInstruction,

    /// <summary>An exception the engine raises but does not deliver (RISC-V's EBREAK on Unicorn).</summary>
    Exception,

    /// <summary>An access to unmapped memory, against permissions, or misaligned, that no event handled.</summary>
    MemoryAccess,
}
