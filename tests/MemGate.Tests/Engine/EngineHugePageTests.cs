using System.Text.RegularExpressions;
using MemGate.Devices;
using MemGate.Engine;
using MemGate.Native;

namespace MemGate.Tests.Engine;

/// <summary>
/// Opening an engine keeps Unicorn's translation buffer off transparent huge pages (a 2 MiB page zeroed for
/// its prologue was up to half a millisecond of every start) and leaves the process's setting as it found it.
/// Alone: the setting is the whole process's, and other tests open engines.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed partial class EngineHugePageTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Opening_an_engine_leaves_the_process_huge_page_setting_as_it_was(int setting)
    {
        int before = Libc.Prctl(Libc.PrGetThpDisable, 0, 0, 0, 0);
        Assert.True(before >= 0);
        try
        {
            Assert.Equal(0, Libc.Prctl(Libc.PrSetThpDisable, (nuint)setting, 0, 0, 0));
            using (UnicornEngine.ForDevice(DeviceTemplates.Load("CortexA53")))
            {
                Assert.Equal(setting, Libc.Prctl(Libc.PrGetThpDisable, 0, 0, 0, 0));
            }
            Assert.Equal(setting, Libc.Prctl(Libc.PrGetThpDisable, 0, 0, 0, 0));
        }
        finally
        {
            Libc.Prctl(Libc.PrSetThpDisable, before == 0 ? 0u : 1u, 0, 0, 0);
        }
    }

    [SkippableFact]
    public void The_translation_buffer_of_a_new_engine_holds_no_huge_page()
    {
        string mode = File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled");
        Skip.If(mode.Contains("[never]", StringComparison.Ordinal), "transparent huge pages are off on this host: nothing to keep off");
        var before = ExecutableAnonymousMappings();
        using var engine = UnicornEngine.ForDevice(DeviceTemplates.Load("CortexA53"));
        var added = ExecutableAnonymousMappings().Where(m => !before.ContainsKey(m.Key)).ToList();
        // Unicorn's buffer: 1 GiB, read-write-execute, anonymous, touched by its prologue.
        var buffer = Assert.Single(added, m => m.Value.SizeKiB >= 512 * 1024);
        // Only a buffer that starts on a 2 MiB boundary can get a huge page where the prologue goes (Linux 6.7 and later align
        // large anonymous mappings so); elsewhere there is nothing to keep off.
        Skip.If(Convert.ToUInt64(buffer.Key, 16) % (2UL << 20) != 0, "this kernel did not align the translation buffer to 2 MiB");
        Assert.True(buffer.Value.RssKiB > 0, "the prologue touched the buffer");
        Assert.Equal(0, buffer.Value.AnonHugeKiB);
    }

    // rwx anonymous mappings of this process by start address: size, resident and huge-page kilobytes.
    private static Dictionary<string, (long SizeKiB, long RssKiB, long AnonHugeKiB)> ExecutableAnonymousMappings()
    {
        var found = new Dictionary<string, (long, long, long)>();
        string? current = null;
        long size = 0, rss = 0;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            if (MappingLine().Match(line) is { Success: true } mapping)
            {
                bool anonymous = mapping.Groups[3].Value == "0" && string.IsNullOrWhiteSpace(mapping.Groups[4].Value);
                current = mapping.Groups[2].Value == "rwxp" && anonymous ? mapping.Groups[1].Value : null;
                continue;
            }
            if (current is null || FieldLine().Match(line) is not { Success: true } field)
            {
                continue;
            }
            long kib = long.Parse(field.Groups[2].Value);
            switch (field.Groups[1].Value)
            {
                case "Size": size = kib; break;
                case "Rss": rss = kib; break;
                case "AnonHugePages": found[current] = (size, rss, kib); break;
            }
        }
        return found;
    }

    // Every mapping's first line: start-end perms offset device inode [path].
    [GeneratedRegex(@"^([0-9a-f]+)-[0-9a-f]+ (\S{4}) [0-9a-f]+ \S+ (\d+)\s*(.*)$")]
    private static partial Regex MappingLine();

    [GeneratedRegex(@"^(Size|Rss|AnonHugePages):\s+(\d+) kB$")]
    private static partial Regex FieldLine();
}
