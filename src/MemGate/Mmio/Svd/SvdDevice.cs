namespace MemGate.Mmio.Svd;

/// <summary>What an SVD file describes: the device's name and its peripherals.</summary>
/// <param name="Name">The device name from the SVD.</param>
/// <param name="Peripherals">Peripherals in file order, derived ones and array elements included.</param>
public sealed record SvdDevice(string Name, IReadOnlyList<SvdPeripheral> Peripherals)
{
    /// <summary>The file it was read from.</summary>
    public string File { get; init; } = "";

    /// <summary>Flaws that were tolerated (each names the file, line and element); empty when read strictly.</summary>
    public IReadOnlyList<SvdWarning> Warnings { get; init; } = [];

    /// <summary>
    /// The peripherals, with an address block that overlaps the next peripheral's trimmed to the end of
    /// its own registers when those stop short of it. Vendor files do this (ST's STM32F103: BKP's block
    /// reaches into PWR); overlaps are judged by registers, and each trimmed block is a warning here.
    /// Peripherals whose registers themselves overlap are left as they are (callers report that).
    /// </summary>
    public IReadOnlyList<SvdPeripheral> WithBlocksTrimmedToRegisters(ICollection<SvdWarning> warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        var sorted = Peripherals.OrderBy(p => p.BaseAddress).ToList();
        var trimmed = new Dictionary<SvdPeripheral, ulong>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < sorted.Count; i++)
        {
            var p = sorted[i];
            var next = sorted.Skip(i + 1).FirstOrDefault(q => q.BaseAddress > p.BaseAddress);
            ulong registersEnd = p.Registers.Count == 0 ? p.Size : p.Registers.Max(r => r.Offset + (ulong)r.SizeBytes);
            if (next is not null && next.BaseAddress - p.BaseAddress < p.Size && next.BaseAddress - p.BaseAddress >= registersEnd)
            {
                warnings.Add(new SvdWarning(File, p.Line, $"peripheral[{p.Name}]", $"its address block [0x{p.BaseAddress:X}, size 0x{p.Size:X}] overlaps '{next.Name}' at " +
                    $"0x{next.BaseAddress:X}, but its registers end at 0x{p.BaseAddress + registersEnd:X}; the block is trimmed to them."));
                trimmed[p] = registersEnd;
            }
        }
        return [.. Peripherals.Select(p => trimmed.TryGetValue(p, out ulong size) ? p with { Size = size } : p)];   // file order kept
    }

    /// <summary>The peripheral called <paramref name="name"/>, or null.</summary>
    public SvdPeripheral? Find(string name) => Peripherals.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
