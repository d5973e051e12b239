using MemGate.Memory;

namespace MemGate.Mmio;

/// <summary>
/// CPU registers mapped into memory (the AVR register file at data addresses 0x00–0x1F, SP and SREG
/// at 0x5D–0x5F): reads and writes of any width at any offset, unaligned and across registers,
/// compose and decompose the registers' bytes in the CPU's byte order.
/// </summary>
/// <remarks>
/// Unlike regmap (seed 001), which handles only aligned 8-byte accesses and takes the process's SIGSEGV
/// handler, this is an ordinary MMIO handler: every width and offset works, and nothing global is touched.
/// A byte of the window that no register covers is a guest fault.
/// </remarks>
public sealed class CpuRegisterWindow : IMmioHandler, IRegisterNames
{
    private readonly ICpuRegisterFile _file;
    private readonly int[] _registerAt;   // per window byte: register index, or -1
    private readonly byte[] _byteAt;      // per window byte: which byte of that register, in memory order
    private readonly bool _bigEndian;

    /// <summary>Lays the named registers out from offset 0 in order, each taking its width.</summary>
    public CpuRegisterWindow(string name, ICpuRegisterFile file, IEnumerable<string> registers, ByteOrder order = ByteOrder.LittleEndian, ulong baseAddress = 0)
    {
        ArgumentNullException.ThrowIfNull(file);
        Name = name;
        BaseAddress = baseAddress;
        _file = file;
        _bigEndian = order == ByteOrder.BigEndian;
        var layout = new List<(int Register, int Byte)>();
        foreach (string register in registers)
        {
            int index = file.IndexOf(register);
            if (index < 0)
            {
                throw new ArgumentException($"Register window '{name}': the register file has no register '{register}'.");
            }
            for (int b = 0; b < file.Registers[index].SizeBytes; b++)
            {
                layout.Add((index, b));
            }
        }
        _registerAt = layout.Select(x => x.Register).ToArray();
        _byteAt = layout.Select(x => (byte)x.Byte).ToArray();
    }

    /// <summary>The window's name.</summary>
    public string Name { get; }

    /// <summary>Guest address of offset 0, for messages.</summary>
    public ulong BaseAddress { get; }

    /// <summary>Bytes the window spans.</summary>
    public int Size => _registerAt.Length;

    /// <summary>The register at window byte <paramref name="offset"/>, or null.</summary>
    public CpuRegister? RegisterAt(ulong offset) => offset < (ulong)Size ? _file.Registers[_registerAt[offset]] : null;

    /// <inheritdoc/>
    public (string? Peripheral, string? Register) Describe(ulong offset) => (Name, RegisterAt(offset)?.Name);

    /// <inheritdoc/>
    public ulong Read(ulong offset, int size)
    {
        Check(offset, size, AccessKind.Read);
        ulong value = 0;
        for (int k = 0; k < size; k++)
        {
            value |= ByteOf(offset + (ulong)k) << (8 * (_bigEndian ? size - 1 - k : k));
        }
        return value;
    }

    /// <inheritdoc/>
    public void Write(ulong offset, int size, ulong value)
    {
        Check(offset, size, AccessKind.Write);
        int k = 0;
        while (k < size)
        {
            // Gather the bytes of one register and write it once (read-modify-write of the others).
            int register = _registerAt[offset + (ulong)k];
            ulong current = _file.Read(register);
            for (; k < size && _registerAt[offset + (ulong)k] == register; k++)
            {
                ulong b = (value >> (8 * (_bigEndian ? size - 1 - k : k))) & 0xFF;
                int shift = Shift(register, _byteAt[offset + (ulong)k]);
                current = (current & ~(0xFFUL << shift)) | (b << shift);
            }
            _file.Write(register, current);
        }
    }

    private ulong ByteOf(ulong at)
    {
        int register = _registerAt[at];
        return (_file.Read(register) >> Shift(register, _byteAt[at])) & 0xFF;
    }

    // Byte j of a register in memory order is bits 8j (little endian) or 8(n-1-j) (big endian).
    private int Shift(int register, int memoryByte) =>
        8 * (_bigEndian ? _file.Registers[register].SizeBytes - 1 - memoryByte : memoryByte);

    private void Check(ulong offset, int size, AccessKind access)
    {
        if (size is < 1 or > 8 || offset >= (ulong)Size || (ulong)Size - offset < (ulong)size)
        {
            throw new GuestMemoryException(GuestFault.NoRegister, access, new GuestAddress(BaseAddress + offset), (ulong)size, Name,
                $"{access} of {size} bytes at 0x{BaseAddress + offset:X}: register window '{Name}' has registers only at offsets 0x0–0x{Size - 1:X}.");
        }
    }
}
