namespace MemGate.Memory;

/// <summary>Parses and prints <see cref="Permissions"/> as letters: "RX", "rw", "rwx", "r-x", "---".</summary>
public static class PermissionsText
{
    /// <summary>Parses letters R, W, X in any case and order; '-' is ignored. Throws on any other letter or a repeat.</summary>
    public static Permissions Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var permissions, out char bad))
        {
            throw new FormatException($"Permissions '{text}': unknown or repeated letter '{bad}' (use R, W, X, e.g. \"RX\").");
        }
        return permissions;
    }

    /// <summary>Parses like <see cref="Parse"/>; on failure <paramref name="bad"/> is the offending character.</summary>
    public static bool TryParse(string text, out Permissions permissions, out char bad)
    {
        permissions = Permissions.None;
        bad = '\0';
        foreach (char c in text)
        {
            Permissions bit = char.ToUpperInvariant(c) switch
            {
                'R' => Permissions.Read,
                'W' => Permissions.Write,
                'X' => Permissions.Execute,
                '-' => Permissions.None,
                _ => (Permissions)0xFF,
            };
            if (bit == (Permissions)0xFF || (bit != Permissions.None && (permissions & bit) != 0))
            {
                bad = c;
                return false;
            }
            permissions |= bit;
        }
        return true;
    }

    /// <summary>"rwx" form with dashes for missing rights, e.g. "r-x".</summary>
    public static string ToRwx(Permissions permissions) => string.Create(3, permissions, static (span, p) =>
    {
        span[0] = (p & Permissions.Read) != 0 ? 'r' : '-';
        span[1] = (p & Permissions.Write) != 0 ? 'w' : '-';
        span[2] = (p & Permissions.Execute) != 0 ? 'x' : '-';
    });

    /// <summary>Compact form without dashes, e.g. "rx"; "" for none.</summary>
    public static string ToLetters(Permissions permissions) => ToRwx(permissions).Replace("-", "", StringComparison.Ordinal);
}
