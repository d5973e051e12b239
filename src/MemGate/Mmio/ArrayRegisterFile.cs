namespace MemGate.Mmio;

/// <summary>Registers kept in an array: the register file of a device without a running CPU.</summary>
public sealed class ArrayRegisterFile : ICpuRegisterFile
{
    private readonly ulong[] _values;
    private readonly Dictionary<string, int> _byName;

    /// <summary>Creates the registers, all zero; names must be unique.</summary>
    public ArrayRegisterFile(IEnumerable<CpuRegister> registers)
    {
        Registers = registers.ToArray();
        _values = new ulong[Registers.Count];
        _byName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);   // as the engine's register file: any case
        for (int i = 0; i < Registers.Count; i++)
        {
            var r = Registers[i];
            if (r.SizeBytes is < 1 or > 8)
            {
                throw new ArgumentException($"CPU register '{r.Name}' is {r.SizeBytes} bytes wide; 1 to 8 are possible.");
            }
            if (!_byName.TryAdd(r.Name, i))
            {
                throw new ArgumentException($"CPU register '{r.Name}' is defined twice.");
            }
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<CpuRegister> Registers { get; }

    /// <inheritdoc/>
    public int IndexOf(string name) => _byName.TryGetValue(name, out int i) ? i : -1;

    /// <inheritdoc/>
    public ulong Read(int index) => _values[index];

    /// <inheritdoc/>
    public void Write(int index, ulong value) =>
        _values[index] = Registers[index].SizeBytes == 8 ? value : value & ((1UL << (8 * Registers[index].SizeBytes)) - 1);

    /// <summary>Reads a register by name.</summary>
    public ulong this[string name]
    {
        get => Read(Index(name));
        set => Write(Index(name), value);
    }

    private int Index(string name) => IndexOf(name) is int i and >= 0 ? i : throw new KeyNotFoundException($"No CPU register '{name}'.");
}
