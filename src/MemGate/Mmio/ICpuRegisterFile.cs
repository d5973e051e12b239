namespace MemGate.Mmio;

/// <summary>
/// A CPU's registers, for windows that map them into memory. An array-backed file serves until a CPU
/// engine provides its own (the engine's registers then show through the same windows).
/// </summary>
public interface ICpuRegisterFile
{
    /// <summary>The registers, by index.</summary>
    IReadOnlyList<CpuRegister> Registers { get; }

    /// <summary>The index of the register called <paramref name="name"/>, or -1.</summary>
    int IndexOf(string name);

    /// <summary>Reads register <paramref name="index"/> (the low SizeBytes bytes are meaningful).</summary>
    ulong Read(int index);

    /// <summary>Writes register <paramref name="index"/>; bits above its width are ignored.</summary>
    void Write(int index, ulong value);
}
