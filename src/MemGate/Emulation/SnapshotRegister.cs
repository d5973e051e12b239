using MemGate.Engine;

namespace MemGate.Emulation;

/// <summary>
/// A CPU register a snapshot file holds: written back by name, in the order the machine lists them
/// (an order that keeps banked registers where they belong), then read back to check the engine took it.
/// </summary>
/// <param name="Name">The name in the file (the architecture's).</param>
/// <param name="Id">The engine's id (for an AArch64 system register, the engine's system-register id).</param>
/// <param name="Bytes">Width in bytes.</param>
/// <param name="System">An AArch64 system register reached by its encoding, or null.</param>
/// <param name="Verify">False for a register whose bits the machine's models drive (they are put back by the models' state).</param>
internal sealed record SnapshotRegister(string Name, int Id, int Bytes, SystemRegister? System = null, bool Verify = true)
{
    /// <summary>Reads a register the engine cannot read plainly by <see cref="Id"/> (at most 8 bytes).</summary>
    public Func<ulong>? Read { get; init; }

    /// <summary>Writes a register the engine cannot write plainly by <see cref="Id"/> (at most 8 bytes).</summary>
    public Action<ulong>? Write { get; init; }
}
