using System.Runtime.InteropServices;
using MemGate.Memory;
using MemGate.Processes;

namespace MemGate.Tests.Processes;

public sealed class ProcessMemoryTests
{
    private const string CapturedSmaps = """
        55d0c8a00000-55d0c8a21000 rw-p 00000000 00:00 0                          [heap]
        Size:                132 kB
        Rss:                  96 kB
        Pss:                  96 kB
        Private_Dirty:        96 kB
        VmFlags: rd wr mr mw me ac sd
        7f1e2c000000-7f1e2c021000 rw-s 00000000 00:01 4242                       /memfd:guest ram (deleted)
        Rss:                  12 kB
        Shared_Dirty:         12 kB
        7f1e2d000000-7f1e2d100000 r-xp 00001000 08:01 131                        /opt/My App/lib with spaces.so
        Rss:                 200 kB
        Shared_Clean:        200 kB
        7f1e2e000000-7f1e2e800000 rw-p 00000000 00:00 0                          [anon:dotnet-gc-heap]
        Swap:                 64 kB
        AnonHugePages:      2048 kB
        7f1e2f000000-7f1e2f021000 rw-p 00000000 00:00 0                          [stack:4711]
        7f1e30000000-7f1e30001000 rwxp 00000000 00:00 0 
        7ffd1000000-7ffd1021000 rw-p 00000000 00:00 0                            [stack]
        7ffd1100000-7ffd1102000 r--p 00000000 00:00 0                            [vvar]
        7ffd1102000-7ffd1104000 r--p 00000000 00:00 0                            [vvar_vclock]
        7ffd1104000-7ffd1106000 r-xp 00000000 00:00 0                            [vdso]
        ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
        """;

    [Fact]
    public void Captured_smaps_with_unusual_paths_parse_and_classify()
    {
        var regions = ProcessMaps.Parse(CapturedSmaps, "captured");
        Assert.Equal(11, regions.Count);
        Assert.Equal(
            [MemoryClass.Heap, MemoryClass.SharedMemory, MemoryClass.File, MemoryClass.NamedAnonymous, MemoryClass.ThreadStack, MemoryClass.Anonymous,
             MemoryClass.Stack, MemoryClass.Vvar, MemoryClass.Vvar, MemoryClass.Vdso, MemoryClass.Vsyscall],   // Linux 6.13+ has [vvar_vclock] too
            regions.Select(r => r.Class));
        Assert.Equal("/memfd:guest ram (deleted)", regions[1].Path);
        Assert.True(regions[1].IsShared);
        Assert.Equal("/opt/My App/lib with spaces.so", regions[2].Path);
        Assert.Equal((0x1000UL, 131UL, "08:01"), (regions[2].Offset, regions[2].Inode, regions[2].Device));
        Assert.Equal(96UL * 1024, regions[0].Detail("Private_Dirty"));
        Assert.Equal(0xFFFF_FFFF_FF60_1000UL, regions[^1].End);

        var analysis = ProcessAnalysis.Of(1, regions);
        Assert.Equal((96UL + 12 + 200) * 1024, analysis.Smaps["Rss"]);
        Assert.Equal(2048UL * 1024, analysis.Smaps["AnonHugePages"]);
        Assert.Equal("", Assert.Single(analysis.WritableAndExecutable).Path);
        Assert.Equal(8UL << 20, analysis.Largest[0].Size);
        Assert.Equal(0x21000UL, analysis.BytesByClass["Heap"]);
    }

    [Fact]
    public void Garbage_is_a_format_error_with_its_line()
    {
        var e = Assert.Throws<FormatException>(() => ProcessMaps.Parse("00400000-00401000 r-xp 00000000 08:01 12 /bin/x\nthis is not smaps\n", "maps"));
        Assert.StartsWith("maps:2:", e.Message);
    }

    [Fact]
    public void Search_finds_a_pattern_across_a_chunk_boundary_in_a_live_process()
    {
        using var memory = GuestMemory.Create([GuestRegion.Ram("Buffer", 0x1000_0000, 1 << 20)], new GuestMemoryOptions { AddressWidth = 64 });
        nint host = memory.Translate(new GuestAddress(0x1000_0000));
        int pid = Environment.ProcessId;
        const int chunk = 64 * 1024;
        var vma = ProcessMaps.Read(pid).Single(r => (ulong)host >= r.Start && (ulong)host < r.End);
        // Chunks start at the mapping's start: put the pattern 5 bytes before the second chunk boundary.
        ulong straddling = vma.Start + 2 * chunk - 5;
        Assert.InRange(straddling, (ulong)host, (ulong)host + (1 << 20) - 16);
        byte[] marker = Guid.NewGuid().ToByteArray();
        marker.CopyTo(memory.GetSpan(new GuestAddress(0x1000_0000 + (straddling - (ulong)host)), 16));

        var pattern = SearchPattern.FromHex(string.Join(' ', marker.Select((b, i) => i == 3 ? "??" : b.ToString("X2"))));
        var result = ProcessSearch.Search(pid, pattern, chunk: chunk, max: 1000);
        Assert.Contains(result.Matches, m => m.Address == straddling && m.Region.Start == vma.Start);
        Assert.Single(result.Matches, m => m.Address == straddling);      // found once, not once per chunk

        var read = new byte[16];
        ProcessMemory.Read(pid, straddling, read);
        Assert.Equal(marker, read);
    }

    // The same against a child process: a marker straddling the second 64 KiB chunk boundary of its RAM,
    // and a file mapping cut to one page whose first page holds the marker and whose second cannot be read.
    [Fact]
    public void Search_in_a_child_process_finds_a_straddling_pattern_and_skips_what_cannot_be_read()
    {
        const int chunk = 64 * 1024;
        byte[] marker = Guid.NewGuid().ToByteArray();
        using var child = TargetProcess.Start("patterns", Convert.ToHexString(marker), (2 * chunk - 5).ToString(System.Globalization.CultureInfo.InvariantCulture));
        ulong ram = child.Address("address");
        ulong cut = child.Address("cut");
        Assert.Equal(ram, ProcessMaps.Read(child.Pid).Single(r => ram >= r.Start && ram < r.End).Start);   // chunks count from here

        var result = ProcessSearch.Search(child.Pid, SearchPattern.FromHex(Convert.ToHexString(marker)), chunk: chunk, max: 1000);

        Assert.Single(result.Matches, m => m.Address == ram + 2 * chunk - 5);
        Assert.Single(result.Matches, m => m.Address == cut + 100);
        var skipped = Assert.Single(result.Skipped, s => s.Region.Start <= cut && cut < s.Region.End);
        Assert.Contains("unreadable", skipped.Reason);
        Assert.Contains("memgate-test-", skipped.Region.Path);
        var e = Assert.Throws<ProcessAccessException>(() => ProcessMemory.Read(child.Pid, cut + 4096, new byte[16]));
        Assert.Contains($"process {child.Pid}", e.Message);
    }

    [Fact]
    public void A_process_that_exits_during_a_search_is_an_error_not_a_short_result()
    {
        using var child = TargetProcess.Start("private");
        bool killed = false;
        var e = Assert.Throws<ProcessAccessException>(() => ProcessSearch.Search(child.Pid, SearchPattern.FromHex("DE AD BE EF"), chunk: 64 * 1024, progress: (_, _) =>
        {
            if (!killed)
            {
                killed = true;
                child.Kill();
            }
        }));
        Assert.True(killed);
        Assert.Contains("exited during the search", e.Message);
    }

    [Fact]
    public void Errors_name_the_process_and_the_reason()
    {
        var e = Assert.Throws<ProcessAccessException>(() => ProcessMemory.Read(Environment.ProcessId, 0x10, new byte[4]));
        Assert.Contains("0x10 is in no mapping", e.Message);
        e = Assert.Throws<ProcessAccessException>(() => ProcessMaps.Read(int.MaxValue));
        Assert.Contains($"no process {int.MaxValue}", e.Message);
        Assert.Throws<FormatException>(() => SearchPattern.FromHex("DE A"));
        Assert.Throws<FormatException>(() => SearchPattern.FromHex("?? ??"));
        Assert.Contains("'ZZ'", Assert.Throws<FormatException>(() => SearchPattern.FromHex("DE ZZ")).Message);
    }

    [Fact]
    public unsafe void Strings_in_utf8_and_utf16_and_integers_are_found()
    {
        string unique = "memgate-" + Guid.NewGuid().ToString("N");
        nint buffer = (nint)NativeMemory.Alloc(4096);
        try
        {
            var span = new Span<byte>((void*)buffer, 4096);
            span.Clear();
            System.Text.Encoding.Unicode.GetBytes(unique).CopyTo(span[100..]);
            BitConverter.GetBytes(0xC0FFEE12345678UL).CopyTo(span[1000..]);
            var utf16 = ProcessSearch.Search(Environment.ProcessId, SearchPattern.FromString(unique, utf16: true), max: 100);
            Assert.Contains(utf16.Matches, m => m.Address == (ulong)buffer + 100);
            var u64 = ProcessSearch.Search(Environment.ProcessId, SearchPattern.FromUInt64(0xC0FFEE12345678UL), max: 1000);
            Assert.Contains(u64.Matches, m => m.Address == (ulong)buffer + 1000);
        }
        finally
        {
            NativeMemory.Free((void*)buffer);
        }
    }

    // A shared file mapping longer than its file: maps says readable, but the pages past the end of the
    // file cannot be read (SIGBUS for the owner, EFAULT for process_vm_readv). The search finds the
    // pattern on the readable page and reports the rest as skipped instead of failing.
    [Fact]
    public void Unreadable_parts_of_a_mapping_are_skipped_and_reported()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("memgate-unreadable").FullName, "short.bin");
        byte[] marker = Guid.NewGuid().ToByteArray();
        var contents = new byte[4096];
        marker.CopyTo(contents, 100);
        File.WriteAllBytes(path, contents);
        using var file = File.OpenHandle(path);
        nint map = MemGate.Native.Libc.MmapOrThrow(0, 3 * 4096, MemGate.Native.Libc.ProtRead, MemGate.Native.Libc.MapShared,
            (int)file.DangerousGetHandle());
        try
        {
            var result = ProcessSearch.Search(Environment.ProcessId, SearchPattern.FromHex(Convert.ToHexString(marker)), "short.bin", max: 10, chunk: 4096);
            Assert.Contains(result.Matches, m => m.Address == (ulong)map + 100);
            var skipped = Assert.Single(result.Skipped);
            Assert.Contains("unreadable", skipped.Reason);
            Assert.EndsWith("short.bin", skipped.Region.Path);
            // The mapping is there (/proc/PID/maps shows it); its page past the file's end has nothing behind it (it was said
            // to be outside the mappings).
            var e = Assert.Throws<ProcessAccessException>(() => ProcessMemory.Read(Environment.ProcessId, (ulong)map + 4096, new byte[16]));
            Assert.Contains($"0x{(ulong)map + 4096:X} is in the r--s mapping [0x{(ulong)map:X}, 0x{(ulong)map + 3 * 4096:X}) {path}, but its page there has nothing behind it", e.Message);
            e = Assert.Throws<ProcessAccessException>(() => ProcessMemory.Read(Environment.ProcessId, (ulong)map + 4088, new byte[16]));
            Assert.Contains("stopped after 8 bytes: 0x", e.Message);
        }
        finally
        {
            MemGate.Native.Libc.MunmapOrThrow(map, 3 * 4096);
        }
    }
}
