using MemGate.Devices;
using MemGate.Memory;

namespace MemGate.Cli.Commands;

/// <summary>Parses a region given on the command line: <c>NAME@ADDRESS:SIZE[:PERMS[:KIND]]</c>, e.g. <c>SRAM@0x20000000:20KiB:rw</c>.</summary>
internal static class RegionArgument
{
    public const string Syntax = "NAME@ADDRESS:SIZE[:PERMS[:KIND]]";

    public static GuestRegion Parse(string text)
    {
        int at = text.IndexOf('@', StringComparison.Ordinal);
        string[] parts = at > 0 ? text[(at + 1)..].Split(':') : [];
        if (at <= 0 || parts.Length is < 2 or > 4)
        {
            throw new CommandUsageException($"Region '{text}': expected {Syntax}, e.g. SRAM@0x20000000:20KiB:rw.");
        }
        string name = text[..at];
        if (!GuestAddress.TryParse(parts[0], out var start))
        {
            throw new CommandUsageException($"Region '{name}': address '{parts[0]}' is not a number (hex with 0x, or decimal).");
        }
        if (!ByteSize.TryParse(parts[1], out ulong size, out string? sizeError))
        {
            throw new CommandUsageException($"Region '{name}': size '{parts[1]}': {sizeError}.");
        }
        var permissions = Permissions.ReadWrite;
        if (parts.Length > 2 && !PermissionsText.TryParse(parts[2], out permissions, out char bad))
        {
            throw new CommandUsageException($"Region '{name}': permissions '{parts[2]}': unknown or repeated letter '{bad}' (use r, w, x).");
        }
        var kind = permissions.HasFlag(Permissions.Write) ? RegionKind.Ram : RegionKind.Flash;
        // Names only: Enum.TryParse would also take "99", "-1" and "ram, flash".
        if (parts.Length > 3 && !Enum.GetNames<RegionKind>().Any(n => n.Equals(parts[3], StringComparison.OrdinalIgnoreCase)))
        {
            throw new CommandUsageException($"Region '{name}': kind '{parts[3]}' is not one of ram, flash, rom, mmio, storage.");
        }
        if (parts.Length > 3)
        {
            kind = Enum.Parse<RegionKind>(parts[3], ignoreCase: true);
        }
        try
        {
            return new GuestRegion(name, start, size, permissions, kind);
        }
        catch (ArgumentException e)
        {
            // The values came from the command line: the library's argument check is the input's check. A malformed value
            // (a size of 0, an empty name) is a usage error; a region the address range cannot hold is bad input, as one
            // past the end of a narrower --width is.
            throw e is ArgumentOutOfRangeException ? new CommandInputException(OptionValue.UserMessage(e)) : new CommandUsageException(OptionValue.UserMessage(e));
        }
    }
}
