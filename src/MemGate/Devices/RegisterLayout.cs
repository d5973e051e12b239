using System.Globalization;
using System.Text.RegularExpressions;
using MemGate.Mmio;

namespace MemGate.Devices;

/// <summary>
/// The registers a <see cref="DeviceRegionType.Registers"/> region maps, written as in device files:
/// <c>"R0-R31:1"</c> (a numbered range, one byte each) or <c>"SPL:1, SPH:1, SREG:1"</c>; a missing
/// size means one byte. Registers are laid out from the region's start in that order.
/// </summary>
public static partial class RegisterLayout
{
    /// <summary>Parses a layout; on failure <paramref name="error"/> says which entry is wrong and why.</summary>
    public static bool TryParse(string text, out List<CpuRegister> registers, out string? error)
    {
        registers = [];
        error = null;
        foreach (string raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var m = Entry().Match(raw);
            if (!m.Success)
            {
                error = $"entry '{raw}' is not NAME[:BYTES] or PREFIXn-PREFIXm[:BYTES]";
                return false;
            }
            int size = 1;
            if (m.Groups["size"].Success && !TryNumber(m.Groups["size"].Value, out size) || size is < 1 or > 8)
            {
                error = $"entry '{raw}': a register is 1 to 8 bytes";
                return false;
            }
            if (m.Groups["last"].Success)
            {
                string prefix = m.Groups["name"].Value.TrimEnd("0123456789".ToCharArray());
                string lastPrefix = m.Groups["last"].Value.TrimEnd("0123456789".ToCharArray());
                if (prefix.Length == 0 || prefix != lastPrefix || !TryNumber(m.Groups["name"].Value[prefix.Length..], out int first)
                    || !TryNumber(m.Groups["last"].Value[lastPrefix.Length..], out int last) || last < first || last - first > 1024)
                {
                    error = $"entry '{raw}': a range is PREFIXn-PREFIXm with the same prefix, n <= m and at most 1025 registers";
                    return false;
                }
                for (int i = first; i <= last; i++)
                {
                    registers.Add(new CpuRegister($"{prefix}{i}", size));
                }
            }
            else
            {
                registers.Add(new CpuRegister(m.Groups["name"].Value, size));
            }
        }
        if (registers.Count == 0)
        {
            error = "the layout names no register";
            return false;
        }
        return true;
    }

    /// <summary>The layout of a registers region: its own, or one byte register per byte named after the region.</summary>
    public static List<CpuRegister> Of(DeviceRegion region)
    {
        if (region.RegisterLayout is { } text)
        {
            return TryParse(text, out var registers, out string? error)
                ? registers
                : throw new FormatException($"Region '{region.Name}': register layout {error}.");
        }
        return Enumerable.Range(0, (int)Math.Min(region.Size, 4096)).Select(i => new CpuRegister($"{region.Name}{i}", 1)).ToList();
    }

    // Digits only, and only what fits an int: "R0-R4294967295" is an error, not an overflow.
    private static bool TryNumber(string digits, out int value) =>
        int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    [GeneratedRegex(@"^(?<name>[A-Za-z_][A-Za-z0-9_.]*)(-(?<last>[A-Za-z_][A-Za-z0-9_.]*))?(:(?<size>\d+))?$")]
    private static partial Regex Entry();
}
