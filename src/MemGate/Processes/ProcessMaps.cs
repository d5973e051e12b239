using System.Globalization;

namespace MemGate.Processes;

/// <summary>Reads /proc/PID/maps and /proc/PID/smaps into <see cref="ProcessRegion"/>s.</summary>
public static class ProcessMaps
{
    /// <summary>The mappings of <paramref name="pid"/>; with <paramref name="detailed"/> the smaps figures too.</summary>
    /// <exception cref="ProcessAccessException">No such process, or not allowed to read its maps.</exception>
    public static List<ProcessRegion> Read(int pid, bool detailed = false)
    {
        string file = $"/proc/{pid}/{(detailed ? "smaps" : "maps")}";
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ProcessAccessException(pid, $"no process {pid} (it may have exited)", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ProcessAccessException(pid, $"not allowed to read {file}: it needs the same user or CAP_SYS_PTRACE{ProcessAccessException.PtraceScopeHint}", e);
        }
        return Parse(text, file);
    }

    /// <summary>Parses maps or smaps text; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="FormatException">A line is neither a mapping nor an smaps field.</exception>
    public static List<ProcessRegion> Parse(string text, string source = "maps")
    {
        var regions = new List<ProcessRegion>();
        Dictionary<string, ulong>? details = null;
        string[] lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            if (TryParseMapping(line, out var region))
            {
                if (details is not null && regions.Count > 0)
                {
                    regions[^1] = regions[^1] with { Details = details };
                }
                details = null;
                regions.Add(region);
                continue;
            }
            // smaps: "Rss:                 132 kB", "VmFlags: rd wr mr", "THPeligible:    0"
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || regions.Count == 0)
            {
                throw new FormatException($"{source}:{n + 1}: '{line}' is neither a mapping nor an smaps field");
            }
            string name = line[..colon];
            string[] value = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (value.Length >= 1 && ulong.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong number))
            {
                details ??= new Dictionary<string, ulong>(StringComparer.Ordinal);
                details[name] = value.Length >= 2 && value[1] == "kB" ? number * 1024 : number;
            }
        }
        if (details is not null && regions.Count > 0)
        {
            regions[^1] = regions[^1] with { Details = details };
        }
        return regions;
    }

    // "start-end perms offset dev inode   path" — the path may hold spaces and " (deleted)".
    private static bool TryParseMapping(string line, out ProcessRegion region)
    {
        region = null!;
        int dash = line.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || !ulong.TryParse(line.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start))
        {
            return false;
        }
        var fields = new string[5];
        int at = dash + 1;
        for (int i = 0; i < 5; i++)
        {
            while (at < line.Length && line[at] == ' ')
            {
                at++;
            }
            int end = line.IndexOf(' ', at);
            if (end < 0)
            {
                end = line.Length;
            }
            fields[i] = line[at..end];
            at = end;
        }
        if (!ulong.TryParse(fields[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong stop)
            || fields[1].Length != 4
            || !ulong.TryParse(fields[2], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong offset)
            || !ulong.TryParse(fields[4], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
        {
            return false;
        }
        string path = at < line.Length ? line[at..].TrimStart(' ') : "";
        region = new ProcessRegion(start, stop, fields[1], offset, fields[3], inode, path);
        return true;
    }
}
