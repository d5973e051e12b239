using MemGate.Memory;

namespace MemGate.Mmio;

/// <summary>
/// A peripheral's registers as an MMIO handler: each access is dispatched to the registers it covers,
/// and every field behaves as its access kind says (read-only, write-1-to-clear, read-to-clear, …).
/// </summary>
/// <remarks>
/// <para>Per register the definition is compiled into bit masks once, so an access is a lookup plus
/// a few mask operations, with no allocation. An access that covers exactly one register takes a
/// direct path; others (a byte of a 32-bit register, a 32-bit access over two 16-bit registers) are
/// split into per-register byte lanes: only the bytes actually written are written, so a byte store
/// into a W1C register clears nothing in the other bytes — as a bus with byte strobes does.</para>
/// <para>Bytes where no register is modelled follow <see cref="Policy"/>. Alternate registers (SVD
/// <c>alternateRegister</c>) share their primary's storage; accesses use the primary's definition.</para>
/// <para>A block models one peripheral seen by one bus master at a time: accesses are not synchronised,
/// as a CPU engine issues them one by one. Guard it yourself if several host threads poke it.</para>
/// </remarks>
public sealed class RegisterBlock : IMmioHandler, IRegisterNames, IQuietReads
{
    private readonly RegisterDefinition[] _registers;   // primaries, sorted by offset
    private readonly ulong[] _offsets;
    private readonly Masks[] _masks;
    private readonly RegisterField[][] _hookedFields;
    private readonly ulong[] _values;
    private readonly bool[] _writtenOnce;
    private readonly bool _bigEndian;
    private readonly Dictionary<string, int> _byName;
    private readonly List<UnmodelledAccess> _unmodelled = [];
    private int _last;   // index of the register hit last (a hint only; see Find)

    /// <summary>Builds a block; throws <see cref="ArgumentException"/> naming the register or field at fault.</summary>
    /// <param name="name">The peripheral's name.</param>
    /// <param name="size">Bytes the block spans.</param>
    /// <param name="registers">The registers.</param>
    /// <param name="order">The CPU's byte order.</param>
    /// <param name="policy">What accesses outside every register do.</param>
    /// <param name="baseAddress">Guest address of offset 0, for messages and traces.</param>
    /// <param name="log">Receives one line per unmodelled access under the non-faulting policies.</param>
    public RegisterBlock(string name, ulong size, IEnumerable<RegisterDefinition> registers, ByteOrder order = ByteOrder.LittleEndian,
        UnmodelledAccessPolicy policy = UnmodelledAccessPolicy.Fault, ulong baseAddress = 0, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (size == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"Peripheral '{name}' has size 0.");
        }
        Name = name;
        Size = size;
        BaseAddress = baseAddress;
        Policy = policy;
        Log = log;
        _bigEndian = order == ByteOrder.BigEndian;
        var all = registers.ToList();
        AllRegisters = all;
        foreach (var r in all)
        {
            Check(name, size, r);
        }
        _registers = all.Where(r => r.AlternateOf is null).OrderBy(r => r.Offset).ToArray();
        for (int i = 1; i < _registers.Length; i++)
        {
            var (a, b) = (_registers[i - 1], _registers[i]);
            if (b.Offset < a.Offset + (ulong)a.SizeBytes)
            {
                throw new ArgumentException($"Peripheral '{name}': register '{b.Name}' at offset 0x{b.Offset:X} overlaps '{a.Name}' at 0x{a.Offset:X} (mark one as an alternate).");
            }
        }
        _offsets = _registers.Select(r => r.Offset).ToArray();
        _masks = _registers.Select(Masks.Of).ToArray();
        _hookedFields = _registers.Select(r => r.Fields.Where(f => f.OnRead is not null || f.OnWrite is not null).ToArray()).ToArray();
        _values = new ulong[_registers.Length];
        _writtenOnce = new bool[_registers.Length];
        _byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _registers.Length; i++)
        {
            _byName[_registers[i].Name] = i;
        }
        foreach (var alternate in all.Where(r => r.AlternateOf is not null))
        {
            _byName[alternate.Name] = _byName.TryGetValue(alternate.AlternateOf!, out int primary)
                ? primary
                : throw new ArgumentException($"Peripheral '{name}': register '{alternate.Name}' is an alternate of '{alternate.AlternateOf}', which does not exist.");
        }
        Reset();
    }

    /// <summary>The peripheral's name.</summary>
    public string Name { get; }

    /// <summary>Bytes the block spans.</summary>
    public ulong Size { get; }

    /// <summary>
    /// Whether reading any of the block's registers changes nothing (its read hooks only compute values): a model says
    /// so, and a debugger then reads the block without being let through to peripherals. Default false.
    /// </summary>
    public bool QuietReads { get; init; }

    /// <inheritdoc/>
    public bool ReadsQuietly(ulong offset, ulong length) =>
        QuietReads && Policy != UnmodelledAccessPolicy.Input && length <= Size && offset <= Size - length;

    /// <summary>Guest address of offset 0 (for messages and traces).</summary>
    public ulong BaseAddress { get; }

    /// <summary>What accesses where no register is modelled do.</summary>
    public UnmodelledAccessPolicy Policy { get; }

    /// <summary>Receives a line per unmodelled access under the non-faulting policies; null drops them.</summary>
    public Action<string>? Log { get; }

    /// <summary>Every register, alternates included, as defined.</summary>
    public IReadOnlyList<RegisterDefinition> AllRegisters { get; }

    /// <summary>Unmodelled accesses seen under <see cref="UnmodelledAccessPolicy.Record"/>.</summary>
    public IReadOnlyList<UnmodelledAccess> Unmodelled => _unmodelled;

    /// <summary>Restores every register's reset value and re-arms write-once fields.</summary>
    public void Reset()
    {
        for (int i = 0; i < _registers.Length; i++)
        {
            _values[i] = _registers[i].InitialValue;
            _writtenOnce[i] = false;
        }
    }

    /// <summary>Every register's stored value and write-once state, for a machine snapshot.</summary>
    public void SaveValues(StateWriter writer)
    {
        writer.Write(_values);
        writer.Write(_writtenOnce);
    }

    /// <summary>Puts back what <see cref="SaveValues"/> returned for this block.</summary>
    public void RestoreValues(StateReader reader)
    {
        reader.Read(_values.AsSpan());
        reader.Read(_writtenOnce.AsSpan());
    }

    /// <summary>The stored value of a register, without side effects (what a model or a debugger looks at).</summary>
    public ulong Peek(string register) => _values[IndexOf(register)];

    /// <summary>Sets a register's stored value, bypassing access rules (how a model raises a status flag).</summary>
    public void Poke(string register, ulong value)
    {
        int i = IndexOf(register);
        _values[i] = value & _registers[i].WidthMask;
    }

    /// <summary>The definition of the register holding byte <paramref name="offset"/>, or null.</summary>
    public RegisterDefinition? RegisterAt(ulong offset) => Find(offset) is int i and >= 0 ? _registers[i] : null;

    /// <inheritdoc/>
    public (string? Peripheral, string? Register) Describe(ulong offset) => (Name, RegisterAt(offset)?.Name);

    /// <inheritdoc/>
    public ulong Read(ulong offset, int size)
    {
        int i = Find(offset);
        if (i >= 0 && _offsets[i] == offset && _registers[i].SizeBytes == size)
        {
            return ReadRegister(i, _registers[i].WidthMask);
        }
        CheckAccess(offset, size);
        // Bytes of one register are consecutive in an access: gather their lanes, read the register once.
        ulong result = 0;
        int k = 0;
        while (k < size)
        {
            ulong at = offset + (ulong)k;
            int reg = Find(at);
            if (reg < 0)
            {
                int hole = HoleLength(offset, k, size);   // the bytes outside every register count as one access
                HandleUnmodelled(at, hole, isWrite: false, 0, offset, size);
                k += hole;
                continue;
            }
            ulong lanes = 0;
            int first = k;
            for (; k < size && Find(offset + (ulong)k) == reg; k++)
            {
                lanes |= 0xFFUL << RegisterShift(reg, offset + (ulong)k);
            }
            ulong seen = ReadRegister(reg, lanes);
            for (int b = first; b < k; b++)
            {
                int registerShift = RegisterShift(reg, offset + (ulong)b);
                result |= ((seen >> registerShift) & 0xFF) << (8 * (_bigEndian ? size - 1 - b : b));
            }
        }
        return result;
    }

    /// <inheritdoc/>
    public void Write(ulong offset, int size, ulong value)
    {
        int i = Find(offset);
        if (i >= 0 && _offsets[i] == offset && _registers[i].SizeBytes == size)
        {
            WriteRegister(i, value, _registers[i].WidthMask);
            return;
        }
        CheckAccess(offset, size);
        // Only the bytes written are written (byte strobes); each register is written once with its lanes.
        int k = 0;
        while (k < size)
        {
            ulong at = offset + (ulong)k;
            int reg = Find(at);
            if (reg < 0)
            {
                int hole = HoleLength(offset, k, size);
                ulong bytes = 0;
                for (int b = 0; b < hole; b++)
                {
                    bytes |= ((value >> (8 * (_bigEndian ? size - 1 - (k + b) : k + b))) & 0xFF) << (8 * (_bigEndian ? hole - 1 - b : b));
                }
                HandleUnmodelled(at, hole, isWrite: true, bytes, offset, size);
                k += hole;
                continue;
            }
            ulong lanes = 0;
            ulong bits = 0;
            for (; k < size && Find(offset + (ulong)k) == reg; k++)
            {
                int registerShift = RegisterShift(reg, offset + (ulong)k);
                lanes |= 0xFFUL << registerShift;
                bits |= ((value >> (8 * (_bigEndian ? size - 1 - k : k))) & 0xFF) << registerShift;
            }
            WriteRegister(reg, bits, lanes);
        }
    }

    private int RegisterShift(int reg, ulong at)
    {
        int j = (int)(at - _offsets[reg]);
        return 8 * (_bigEndian ? _registers[reg].SizeBytes - 1 - j : j);
    }

    private void CheckAccess(ulong offset, int size)
    {
        if (size is < 1 or > 8 || offset >= Size || Size - offset < (ulong)size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Peripheral '{Name}': access of {size} bytes at offset 0x{offset:X} is outside its 0x{Size:X} bytes.");
        }
    }

    // How many bytes from offset + k on lie outside every register (within the access).
    private int HoleLength(ulong offset, int k, int size)
    {
        int end = k;
        while (end < size && Find(offset + (ulong)end) < 0)
        {
            end++;
        }
        return end - k;
    }

    private void HandleUnmodelled(ulong at, int length, bool isWrite, ulong value, ulong offset, int size)
    {
        string what = isWrite ? $"{length}-byte write of 0x{value:X2} to" : $"{length}-byte read of";
        switch (Policy)
        {
            case UnmodelledAccessPolicy.Fault:
                throw new GuestMemoryException(GuestFault.NoRegister, isWrite ? AccessKind.Write : AccessKind.Read,
                    new GuestAddress(BaseAddress + offset), (ulong)size, Name,
                    $"{(isWrite ? "Write" : "Read")} of {size} bytes at 0x{BaseAddress + offset:X}: peripheral '{Name}' has no register at offset 0x{at:X}.");
            case UnmodelledAccessPolicy.Record:
                _unmodelled.Add(new UnmodelledAccess(at, length, isWrite, value));
                break;
        }
        Log?.Invoke($"{Name}: unmodelled {what} 0x{BaseAddress + at:X} (offset 0x{at:X}); {(isWrite ? "ignored" : "reads as 0")}");
    }

    private ulong ReadRegister(int i, ulong lanes)
    {
        ref readonly var m = ref _masks[i];
        ulong stored = _values[i];
        ulong visible = stored & m.Readable;
        var register = _registers[i];
        foreach (var field in _hookedFields[i])
        {
            if (field.OnRead is { } hook)
            {
                ulong mask = field.Mask;
                visible = (visible & ~mask) | ((hook((visible & mask) >> field.BitOffset) << field.BitOffset) & mask);
            }
        }
        if (register.OnRead is { } read)
        {
            visible = read(visible) & register.WidthMask;
        }
        _values[i] = (stored & ~(m.ReadClear & lanes)) | (m.ReadSet & lanes);
        return visible;
    }

    private void WriteRegister(int i, ulong value, ulong lanes)
    {
        ref readonly var m = ref _masks[i];
        ulong old = _values[i];
        ulong writable = (m.Writable | (_writtenOnce[i] ? 0 : m.Once)) & lanes;
        ulong v = value;
        ulong updated = old;
        updated = (updated & ~(m.Modify & writable)) | (v & m.Modify & writable);
        updated &= ~(v & m.OneToClear & writable);
        updated |= v & m.OneToSet & writable;
        updated ^= v & m.OneToToggle & writable;
        updated &= ~(~v & m.ZeroToClear & writable);
        updated |= ~v & m.ZeroToSet & writable;
        updated ^= ~v & m.ZeroToToggle & writable;
        updated &= ~(m.Clear & writable);
        updated |= m.Set & writable;
        if ((m.Once & lanes) != 0)
        {
            _writtenOnce[i] = true;
        }
        var register = _registers[i];
        updated &= register.WidthMask;
        _values[i] = updated;
        foreach (var field in _hookedFields[i])
        {
            if (field.OnWrite is { } hook && (field.Mask & lanes) != 0)
            {
                hook((old & field.Mask) >> field.BitOffset, (updated & field.Mask) >> field.BitOffset);
            }
        }
        register.OnWrite?.Invoke(old, updated);
    }

    // The primary register holding byte `offset`, or -1. Firmware hammers one register at a time
    // (polling a status flag), so the last hit is checked before the binary search.
    private int Find(ulong offset)
    {
        int last = _last;
        if (last < _offsets.Length && offset - _offsets[last] < (ulong)_registers[last].SizeBytes)
        {
            return last;
        }
        int lo = 0;
        int hi = _offsets.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >> 1;
            if (_offsets[mid] <= offset)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        int i = lo - 1;
        if (i >= 0 && offset - _offsets[i] < (ulong)_registers[i].SizeBytes)
        {
            _last = i;
            return i;
        }
        return -1;
    }

    private int IndexOf(string register) => _byName.TryGetValue(register, out int i)
        ? i
        : throw new KeyNotFoundException($"Peripheral '{Name}' has no register '{register}' (registers: {string.Join(", ", _registers.Select(r => r.Name))}).");

    private static void Check(string block, ulong size, RegisterDefinition r)
    {
        if (r.SizeBits is not (8 or 16 or 32 or 64))
        {
            throw new ArgumentException($"Peripheral '{block}': register '{r.Name}' has size {r.SizeBits} bits; use 8, 16, 32 or 64.");
        }
        if (r.Offset >= size || size - r.Offset < (ulong)r.SizeBytes)
        {
            throw new ArgumentException($"Peripheral '{block}': register '{r.Name}' at offset 0x{r.Offset:X} ({r.SizeBits} bits) lies outside the block's 0x{size:X} bytes.");
        }
        ulong taken = 0;
        foreach (var f in r.Fields)
        {
            if (f.BitWidth < 1 || f.BitOffset < 0 || f.BitOffset + f.BitWidth > r.SizeBits)
            {
                throw new ArgumentException($"Peripheral '{block}': field '{r.Name}.{f.Name}' [bits {f.BitOffset}+{f.BitWidth}] does not fit the {r.SizeBits}-bit register.");
            }
            if ((taken & f.Mask) != 0)
            {
                throw new ArgumentException($"Peripheral '{block}': field '{r.Name}.{f.Name}' overlaps another field of the register.");
            }
            taken |= f.Mask;
        }
    }

    // A register's definition compiled to masks: each bit is in exactly one write-action mask.
    private readonly record struct Masks(
        ulong Readable, ulong Writable, ulong Once,
        ulong Modify, ulong OneToClear, ulong OneToSet, ulong OneToToggle, ulong ZeroToClear, ulong ZeroToSet, ulong ZeroToToggle, ulong Clear, ulong Set,
        ulong ReadClear, ulong ReadSet)
    {
        public static Masks Of(RegisterDefinition r)
        {
            var m = new Masks();
            ulong rest = r.WidthMask;
            foreach (var f in r.Fields)
            {
                m = m.With(f.Mask, f.Access, f.WriteAction, f.ReadAction);
                rest &= ~f.Mask;
            }
            return m.With(rest, r.Access, WriteAction.Modify, ReadAction.None);
        }

        private Masks With(ulong bits, FieldAccess access, WriteAction write, ReadAction read)
        {
            bool readable = access is FieldAccess.ReadWrite or FieldAccess.ReadOnly or FieldAccess.ReadWriteOnce;
            bool writable = access is FieldAccess.ReadWrite or FieldAccess.WriteOnly;
            bool once = access is FieldAccess.WriteOnce or FieldAccess.ReadWriteOnce;
            return this with
            {
                Readable = Readable | (readable ? bits : 0),
                Writable = Writable | (writable ? bits : 0),
                Once = Once | (once ? bits : 0),
                Modify = Modify | (write == WriteAction.Modify ? bits : 0),
                OneToClear = OneToClear | (write == WriteAction.OneToClear ? bits : 0),
                OneToSet = OneToSet | (write == WriteAction.OneToSet ? bits : 0),
                OneToToggle = OneToToggle | (write == WriteAction.OneToToggle ? bits : 0),
                ZeroToClear = ZeroToClear | (write == WriteAction.ZeroToClear ? bits : 0),
                ZeroToSet = ZeroToSet | (write == WriteAction.ZeroToSet ? bits : 0),
                ZeroToToggle = ZeroToToggle | (write == WriteAction.ZeroToToggle ? bits : 0),
                Clear = Clear | (write == WriteAction.Clear ? bits : 0),
                Set = Set | (write == WriteAction.Set ? bits : 0),
                ReadClear = ReadClear | (read == ReadAction.Clear ? bits : 0),
                ReadSet = ReadSet | (read == ReadAction.Set ? bits : 0),
            };
        }
    }
}
