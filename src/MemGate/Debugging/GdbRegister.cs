namespace MemGate.Debugging;

/// <summary>One register as GDB sees it: its name and type in the target description, and the engine's id for it.</summary>
/// <param name="Name">GDB's name for it (the name GDB's architecture code looks for).</param>
/// <param name="Bits">Its size in the 'g' packet.</param>
/// <param name="EngineId">The CPU engine's id (Unicorn's <c>UC_*_REG_*</c>).</param>
/// <param name="Type">Its type in the target description: int, code_ptr, data_ptr, ieee_double.</param>
internal sealed record GdbRegister(string Name, int Bits, int EngineId, string Type = "int")
{
    /// <summary>An AArch64 system register read and written by its encoding rather than by <see cref="EngineId"/>.</summary>
    public Engine.SystemRegister? System { get; init; }

    /// <summary>GDB's register group (<c>info registers GROUP</c>), when not the one GDB gives its type.</summary>
    public string? Group { get; init; }

    /// <summary>Shown but not written: the machine keeps state derived from it that a write from GDB would bypass.</summary>
    public bool ReadOnly { get; init; }
}
