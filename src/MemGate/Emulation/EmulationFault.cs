using MemGate.Memory;

namespace MemGate.Emulation;

/// <summary>
/// A guest fault that stopped a run: an access to unmapped memory, a write to read-only memory, a fetch
/// from non-executable memory, an invalid instruction. Carries the program counter, the address and
/// the kind of access.
/// </summary>
public sealed class EmulationFault : MemGateException
{
    /// <summary>Creates the fault.</summary>
    public EmulationFault(string message, ulong pc, ulong? address, AccessKind? access, Exception? inner = null)
        : base(message, inner)
    {
        ProgramCounter = pc;
        Address = address;
        Access = access;
    }

    /// <summary>The program counter when the run stopped.</summary>
    public ulong ProgramCounter { get; }

    /// <summary>The address accessed, when the fault was a memory access.</summary>
    public ulong? Address { get; }

    /// <summary>Read, write or execute, when the fault was a memory access.</summary>
    public AccessKind? Access { get; }
}
