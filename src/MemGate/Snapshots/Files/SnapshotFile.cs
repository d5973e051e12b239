using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using MemGate.Memory;
using MemGate.Memory.Backing;
using MemGate.Native;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Snapshots.Files;

/// <summary>
/// A snapshot file (format in docs/snapshot-format.md): a 64-byte preamble, the models' state, the guest
/// memory laid out as in memory with the pages never written left as holes, and a JSON header, each with an
/// XXH3-64 checksum. <see cref="Write(string, SnapshotFileHeader, ReadOnlySpan{byte}, GuestMemory)"/> replaces a file atomically (temporary file, fsync, rename);
/// <see cref="Open"/> checks everything but the pages, <see cref="RestoreMemory"/> checks those before writing a byte.
/// </summary>
public sealed unsafe class SnapshotFile : IDisposable
{
    /// <summary>The format version this code writes and reads.</summary>
    // 3: the models' state ends with the run-in-progress record (older MemGate would refuse its bytes as left over);
    // 2: the device description is JSON. Versions 1 (TOML) and 2 are still read, without that record.
    public const int FormatVersion = 3;

    private const int PreambleSize = 64;
    private const int CopyChunk = 1 << 30;
    private static ReadOnlySpan<byte> Magic => "MGSNAP\r\n"u8;

    private readonly SafeFileHandle _file;
    private readonly long _length;

    private SnapshotFile(string path, SafeFileHandle file, long length, SnapshotFileHeader header)
    {
        Path = path;
        _file = file;
        _length = length;
        Header = header;
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>What the file says about itself.</summary>
    public SnapshotFileHeader Header { get; }

    /// <summary>
    /// Writes <paramref name="header"/> (its <see cref="SnapshotFileHeader.Models"/> and <see cref="SnapshotFileHeader.Areas"/> are filled in here),
    /// <paramref name="models"/> and every page of <paramref name="memory"/>'s host-backed regions that holds data, to <paramref name="path"/>:
    /// all or nothing (a temporary file beside it, flushed to disk, renamed over it).
    /// </summary>
    public static void Write(string path, SnapshotFileHeader header, ReadOnlySpan<byte> models, GuestMemory memory) => Write(path, header, models, memory, []);

    /// <summary>As <see cref="Write(string, SnapshotFileHeader, ReadOnlySpan{byte}, GuestMemory)"/>, for memory of which parts are mapped from snapshot files.</summary>
    internal static void Write(string path, SnapshotFileHeader header, ReadOnlySpan<byte> models, GuestMemory memory, IReadOnlyList<SnapshotBaseline> baselines)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(memory);
        string full = System.IO.Path.GetFullPath(path);
        string directory = System.IO.Path.GetDirectoryName(full)!;
        string temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        ulong page = (ulong)Libc.PageSize;
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Cannot write snapshot file '{path}': folder '{directory}' does not exist.");
        }
        try
        {
            using (var file = File.OpenHandle(temporary, FileMode.CreateNew, FileAccess.ReadWrite))
            {
                ulong offset = PreambleSize;
                RandomAccess.Write(file, models, (long)offset);
                var modelsBlob = new SnapshotBlob(offset, (ulong)models.Length, Hash(models));
                offset = Align(offset + (ulong)models.Length, page);
                var areas = new List<SnapshotArea>();
                foreach (var area in AreasOf(memory))
                {
                    var runs = new List<SnapshotPageRun>();
                    // Pages mapped from another snapshot file and never touched since are not in memory, but hold its data.
                    var stored = StoredRuns(area);
                    if (baselines.FirstOrDefault(b => b.Host == area.Host && b.Length == area.Length) is { } baseline)
                    {
                        stored = Merge([.. stored, .. baseline.Stored]);
                    }
                    foreach (var (start, length) in stored)
                    {
                        var hash = new XxHash3();
                        for (ulong done = 0; done < length; done += CopyChunk)
                        {
                            var chunk = new ReadOnlySpan<byte>((void*)(area.Host + (nint)(start + done)), (int)Math.Min(CopyChunk, length - done));
                            RandomAccess.Write(file, chunk, (long)(offset + start + done));
                            hash.Append(chunk);
                        }
                        runs.Add(new SnapshotPageRun(start, length, hash.GetCurrentHashAsUInt64().ToString("x16")));
                    }
                    areas.Add(new SnapshotArea(area.Regions, area.Length, offset, runs));
                    offset += area.Length;   // the pages not stored stay holes
                }
                byte[] json = JsonSerializer.SerializeToUtf8Bytes(header with { Models = modelsBlob, Areas = areas }, SnapshotFileJsonContext.Default.SnapshotFileHeader);
                RandomAccess.Write(file, json, (long)offset);
                ulong total = offset + (ulong)json.Length;
                Span<byte> preamble = stackalloc byte[PreambleSize];
                preamble.Clear();
                Magic.CopyTo(preamble);
                BinaryPrimitives.WriteInt32LittleEndian(preamble[8..], FormatVersion);
                BinaryPrimitives.WriteInt32LittleEndian(preamble[12..], Libc.PageSize);
                BinaryPrimitives.WriteUInt64LittleEndian(preamble[16..], offset);
                BinaryPrimitives.WriteUInt64LittleEndian(preamble[24..], (ulong)json.Length);
                BinaryPrimitives.WriteUInt64LittleEndian(preamble[32..], XxHash3.HashToUInt64(json));
                BinaryPrimitives.WriteUInt64LittleEndian(preamble[40..], total);
                BinaryPrimitives.WriteUInt64LittleEndian(preamble[48..], XxHash3.HashToUInt64(preamble[..48]));
                RandomAccess.Write(file, preamble, 0);
                RandomAccess.FlushToDisk(file);
            }
            File.Move(temporary, full, overwrite: true);   // rename(2): readers see the old file or the new one
            FileDescriptors.SyncDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            // The temporary file's name is ours, not the user's: say what could not be written, and why, in their terms.
            string why = e switch
            {
                UnauthorizedAccessException => "permission denied",
                FileNotFoundException or DirectoryNotFoundException => "the folder does not take new files",
                IOException io => OutputFile.Reason(io, temporary, path),
                _ => e.Message,
            };
            throw new IOException($"Cannot write snapshot file '{path}' (written beside it first, then renamed): {why}.", e);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Opens a snapshot file and checks its preamble, header and models' state.</summary>
    /// <exception cref="SnapshotFileException">Not a snapshot file, another format version, truncated or corrupt.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="MemGateException">It is not a regular file (a FIFO, a device).</exception>
    public static SnapshotFile Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new SnapshotFileException(path, "it is a folder, not a snapshot file.");
        }
        InputFile.Check(path, "Snapshot file");   // missing, or a FIFO (whose open would wait for a writer)
        var file = File.OpenHandle(full, FileMode.Open, FileAccess.Read);
        try
        {
            long length = RandomAccess.GetLength(file);
            Span<byte> preamble = stackalloc byte[PreambleSize];
            if (length < PreambleSize || RandomAccess.Read(file, preamble, 0) != PreambleSize)
            {
                throw new SnapshotFileException(path, $"it is {length} bytes long, too short for a snapshot (the preamble alone is {PreambleSize}).");
            }
            if (!preamble[..8].SequenceEqual(Magic))
            {
                throw new SnapshotFileException(path, "it is not a MemGate snapshot file (no MGSNAP signature at its start).");
            }
            int version = BinaryPrimitives.ReadInt32LittleEndian(preamble[8..]);
            if (version is < 1 or > FormatVersion)
            {
                throw new SnapshotFileException(path, $"it has format version {version}; this MemGate reads versions 1 to {FormatVersion}.");
            }
            if (BinaryPrimitives.ReadUInt64LittleEndian(preamble[48..]) != XxHash3.HashToUInt64(preamble[..48]))
            {
                throw new SnapshotFileException(path, "its preamble is corrupt (checksum mismatch).");
            }
            if (preamble[56..].ContainsAnyExcept((byte)0))
            {
                throw new SnapshotFileException(path, "its preamble's reserved bytes 56-63 are not zero (the file is damaged).");
            }
            int pageSize = BinaryPrimitives.ReadInt32LittleEndian(preamble[12..]);
            if (pageSize != Libc.PageSize)
            {
                throw new SnapshotFileException(path, $"it was written with {pageSize}-byte pages; this host has {Libc.PageSize}.");
            }
            ulong headerOffset = BinaryPrimitives.ReadUInt64LittleEndian(preamble[16..]);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(preamble[24..]);
            ulong total = BinaryPrimitives.ReadUInt64LittleEndian(preamble[40..]);
            if ((ulong)length != total)
            {
                throw new SnapshotFileException(path, (ulong)length < total
                    ? $"it is truncated: {length:N0} of its {total:N0} bytes are there."
                    : $"it is {length:N0} bytes long where its preamble says {total:N0}.");
            }
            if (headerOffset < PreambleSize || headerLength > int.MaxValue || headerOffset + headerLength != total)
            {
                throw new SnapshotFileException(path, "its preamble places the header outside the file.");
            }
            byte[] json = new byte[headerLength];
            RandomAccess.Read(file, json, (long)headerOffset);
            if (BinaryPrimitives.ReadUInt64LittleEndian(preamble[32..]) != XxHash3.HashToUInt64(json))
            {
                throw new SnapshotFileException(path, "its header is corrupt (checksum mismatch).");
            }
            SnapshotFileHeader header;
            try
            {
                header = JsonSerializer.Deserialize(json, SnapshotFileJsonContext.Default.SnapshotFileHeader)
                    ?? throw new SnapshotFileException(path, "its header is empty.");
                if (NullEntry(header) is { } list)
                {
                    throw new SnapshotFileException(path, $"its header is not valid: field {list} holds null.");
                }
            }
            catch (JsonException e)
            {
                throw new SnapshotFileException(path, $"its header is not valid: {HeaderProblem(e)}.", e);
            }
            var snapshot = new SnapshotFile(full, file, length, header);
            snapshot.CheckLayout(headerOffset);
            return snapshot;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The models' state (checked against its checksum).</summary>
    /// <exception cref="SnapshotFileException">It is corrupt.</exception>
    public byte[] ReadModels()
    {
        byte[] models = new byte[Header.Models.Length];
        RandomAccess.Read(_file, models, (long)Header.Models.Offset);
        if (Hash(models) != Header.Models.Xxh3)
        {
            throw new SnapshotFileException(Path, "the models' state is corrupt (checksum mismatch).");
        }
        return models;
    }

    /// <summary>
    /// Puts the file's pages into <paramref name="memory"/>, whose regions must be laid out as the snapshot's were. With
    /// <paramref name="lazy"/> (private anonymous memory only) each area is mapped copy-on-write from the file, in time
    /// independent of its size; otherwise the stored pages are copied and the rest zeroed. Every stored page is checked
    /// against its checksum first, so a corrupt file changes nothing.
    /// </summary>
    /// <returns>The mapped areas, for a <see cref="GuestSnapshot"/> taken later (empty when copied).</returns>
    /// <exception cref="SnapshotFileException">The memory is laid out otherwise (another device), or a page is corrupt.</exception>
    internal IReadOnlyList<SnapshotBaseline> RestoreMemory(GuestMemory memory, bool lazy)
    {
        var areas = AreasOf(memory);
        if (areas.Count != Header.Areas.Count)
        {
            throw new SnapshotFileException(Path, $"it holds {Header.Areas.Count} memory area(s); this device has {areas.Count} ({Describe(areas.SelectMany(a => a.Regions))}).");
        }
        for (int i = 0; i < areas.Count; i++)
        {
            var (mine, theirs) = (areas[i], Header.Areas[i]);
            if (mine.Length != theirs.Length || !mine.Regions.SequenceEqual(theirs.Regions))
            {
                throw new SnapshotFileException(Path, $"its memory area {i} holds {Describe(theirs.Regions)}; this device has {Describe(mine.Regions)} there.");
            }
        }
        // Pooled: a start from a file would otherwise allocate (and the runtime zero) a large-object array every time.
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            CheckStoredPages(buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        var baselines = new List<SnapshotBaseline>();
        for (int i = 0; i < areas.Count; i++)
        {
            var (host, stored) = (areas[i].Host, Header.Areas[i]);
            if (lazy)
            {
                // Only the stored runs come from the file; the rest stays the area's own anonymous memory, emptied (it reads as
                // zero, as the file's holes would): memory mapped from a file gets a write-protection marker in every page not
                // yet faulted in (2 GiB: every restore walking half a million of them, 5 ms), anonymous huge pages do not.
                if (Libc.Madvise(host, (nuint)stored.Length, Libc.MadvDontNeed) != 0)
                {
                    throw NativeMemoryException.FromErrno($"madvise(0x{host:x}, {stored.Length:N0} bytes, MADV_DONTNEED)");
                }
                foreach (var run in stored.Pages)
                {
                    Libc.MmapOrThrow(host + (nint)run.Start, run.Length, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapFixed,
                        (int)_file.DangerousGetHandle(), (long)(stored.Offset + run.Start));
                }
                baselines.Add(new SnapshotBaseline(host, stored.Length, Path, (long)stored.Offset, [.. stored.Pages.Select(r => (r.Start, r.Length))]));
                continue;
            }
            foreach (var (start, length) in StoredRuns(areas[i]))
            {
                for (ulong done = 0; done < length; done += CopyChunk)
                {
                    new Span<byte>((void*)(host + (nint)(start + done)), (int)Math.Min(CopyChunk, length - done)).Clear();
                }
            }
            foreach (var run in stored.Pages)
            {
                for (ulong done = 0; done < run.Length; done += CopyChunk)
                {
                    int n = (int)Math.Min(CopyChunk, run.Length - done);
                    RandomAccess.Read(_file, new Span<byte>((void*)(host + (nint)(run.Start + done)), n), (long)(stored.Offset + run.Start + done));
                }
            }
        }
        return baselines;
    }

    // Every stored run matches its checksum and every page not stored reads as zero, before anything is restored.
    private void CheckStoredPages(byte[] buffer)
    {
        foreach (var area in Header.Areas)
        {
            foreach (var run in area.Pages)
            {
                var hash = new XxHash3();
                for (ulong done = 0; done < run.Length; done += (ulong)buffer.Length)
                {
                    int n = (int)Math.Min((ulong)buffer.Length, run.Length - done);
                    ReadExactly(buffer.AsSpan(0, n), area.Offset + run.Start + done);
                    hash.Append(buffer.AsSpan(0, n));
                }
                if (hash.GetCurrentHashAsUInt64().ToString("x16") != run.Xxh3)
                {
                    string where = string.Join(", ", area.Regions.Where(r => r.Offset < run.Start + run.Length && run.Start < r.Offset + r.Size)
                        .Select(r => $"'{r.Name}' at 0x{r.Start + Math.Max(run.Start, r.Offset) - r.Offset:X}"));
                    throw new SnapshotFileException(Path, $"the pages stored for {where} are corrupt (checksum mismatch); nothing was restored.");
                }
            }
        }
        foreach (var area in Header.Areas)
        {
            CheckHoles(area, buffer);
        }
    }

    // The buffer is pooled: a short read (the file shrank since it was opened) must not leave an earlier start's bytes in it.
    private void ReadExactly(Span<byte> into, ulong offset)
    {
        if (RandomAccess.Read(_file, into, (long)offset) != into.Length)
        {
            throw new SnapshotFileException(Path, $"it became shorter while being read (at offset {offset:N0}); nothing was restored.");
        }
    }

    // The pages of an area not stored must read as zero: a start maps the whole area from the file, holes included. The
    // file system reports its holes (SEEK_DATA), so only bytes it holds there are read: none in a sparse file, all of them
    // in one copied without its holes.
    private void CheckHoles(SnapshotArea area, byte[] buffer)
    {
        ulong at = 0;
        foreach (var (start, length) in area.Pages.OrderBy(r => r.Start).Select(r => (r.Start, r.Length)).Append((area.Length, 0UL)))
        {
            if (start > at)
            {
                foreach (var (dataStart, dataLength) in FileDescriptors.DataRuns(_file, area.Offset + at, start - at))
                {
                    for (ulong done = 0; done < dataLength; done += (ulong)buffer.Length)
                    {
                        int n = (int)Math.Min((ulong)buffer.Length, dataLength - done);
                        ulong offset = at + dataStart + done;
                        ReadExactly(buffer.AsSpan(0, n), area.Offset + offset);
                        if (buffer.AsSpan(0, n).IndexOfAnyExcept((byte)0) is int bad and >= 0)
                        {
                            ulong where = offset + (ulong)bad;
                            var region = area.Regions.FirstOrDefault(r => where - r.Offset < r.Size);
                            throw new SnapshotFileException(Path, $"a page it does not store (never written, so all zero) holds data at " +
                                (region is null ? $"offset 0x{where:X} of a memory area" : $"'{region.Name}' 0x{region.Start + where - region.Offset:X}") +
                                "; the file is damaged, and nothing was restored.");
                        }
                    }
                }
            }
            at = Math.Max(at, start + length);   // runs may nest in a crafted header
        }
    }

    /// <summary>Reads stored bytes of <paramref name="area"/> from <paramref name="offset"/> in it, from the file (not through memory mapped from it, which would fault the pages in).</summary>
    internal void ReadArea(SnapshotArea area, ulong offset, Span<byte> into) => RandomAccess.Read(_file, into, (long)(area.Offset + offset));

    /// <summary>Closes the file (memory mapped from it stays).</summary>
    public void Dispose() => _file.Dispose();

    // Offsets inside the file and page-aligned where the format says so.
    // Nullable annotations cover properties, not the entries of lists: the first list holding null, or null.
    private static string? NullEntry(SnapshotFileHeader header) =>
        header.Cpu.Any(r => r is null) ? "cpu"
        : header.Areas.Any(a => a is null) ? "areas"
        : header.Areas.Any(a => a.Regions.Any(r => r is null)) ? "areas.regions"
        : header.Areas.Any(a => a.Pages.Any(p => p is null)) ? "areas.pages"
        : null;

    // What is wrong with the header, said in its own terms (System.Text.Json's message names .NET types and reader positions).
    private static string HeaderProblem(JsonException e)
    {
        const string Missing = "required properties including: ";
        int missing = e.Message.IndexOf(Missing, StringComparison.Ordinal);
        return missing >= 0 ? $"it lacks the field(s) {e.Message[(missing + Missing.Length)..].TrimEnd('.').Replace("'", "", StringComparison.Ordinal)}"
            : e.Path is { Length: > 1 } at ? $"field {at.TrimStart('$').TrimStart('.')} has a value of the wrong kind or out of range"
            : "it is not well-formed JSON";
    }

    private void CheckLayout(ulong headerOffset)
    {
        ulong page = (ulong)Libc.PageSize;
        if (Header.Models.Offset < PreambleSize || Header.Models.Offset + Header.Models.Length > headerOffset || Header.Models.Length > int.MaxValue)
        {
            throw new SnapshotFileException(Path, "its header places the models' state outside the file.");
        }
        foreach (var area in Header.Areas)
        {
            if (area.Offset % page != 0 || area.Length % page != 0 || area.Offset < PreambleSize || area.Offset + area.Length > headerOffset)
            {
                throw new SnapshotFileException(Path, $"its header places memory area [{Describe(area.Regions)}] outside the file or off a page boundary.");
            }
            foreach (var run in area.Pages)
            {
                if (run.Start % page != 0 || run.Length % page != 0 || run.Start + run.Length > area.Length)
                {
                    throw new SnapshotFileException(Path, $"its header places stored pages at 0x{run.Start:X} outside memory area [{Describe(area.Regions)}].");
                }
            }
        }
    }

    // Shared: the memfd behind the area and the area's offset in it (shared memory), else null.
    private sealed record HostArea(nint Host, ulong Length, IReadOnlyList<SnapshotAreaRegion> Regions, (SafeFileHandle File, ulong Offset)? Shared);

    // The memory's host-backed regions as page runs (as a GuestSnapshot takes them), each with the regions in it.
    private static List<HostArea> AreasOf(GuestMemory memory)
    {
        var regions = memory.Regions.Where(r => r.HasHostMemory).ToArray();
        var located = regions.Select(r => (Region: r, Host: memory.TryFindHost(r.Start, out nint host) ? host : 0)).Where(r => r.Host != 0).ToList();
        return GuestSnapshot.PageRuns(memory, regions).Select(run =>
        {
            var inside = located.Where(r => r.Host >= run.Host && r.Host < run.Host + (nint)run.Length).OrderBy(r => r.Host).ThenBy(r => r.Region.Start.Value).ToList();
            // One run is one host mapping (separate backings lie apart, between guard pages), so its first region names the backing.
            (SafeFileHandle, ulong)? shared = inside.Count > 0 && memory.BackingOf(inside[0].Region) is SharedMemoryBacking memfd
                ? (memfd.FileHandle, (ulong)(run.Host - memfd.Pointer))
                : null;
            return new HostArea(run.Host, run.Length,
                inside.Select(r => new SnapshotAreaRegion(r.Region.Name, r.Region.Start.Value, r.Region.Size, (ulong)(r.Host - run.Host))).ToList(), shared);
        }).ToList();
    }

    // The page runs of an area that hold data and are not all zero (what is not stored reads as zero): the pages present
    // or swapped out in this process's page tables (all of it where the kernel cannot tell), and for shared memory the
    // memfd's data, which includes pages only another process mapped and wrote.
    private static List<(ulong Start, ulong Length)> StoredRuns(HostArea area)
    {
        var candidates = new List<(ulong Start, ulong Length)>();
        try
        {
            using var pagemap = DirtyTracking.OpenPagemap();
            GuestSnapshot.ForEachRun(pagemap, stackalloc DirtyTracking.PageRegion[256], area.Host, area.Length,
                DirtyTracking.PageIsPresent | DirtyTracking.PageIsSwapped, (start, size) => candidates.Add((start, size)),
                noneOf: DirtyTracking.PageIsZeroPage);   // the zero page (a memory snapshot maps it into untouched memory) holds no data
        }
        catch (NotSupportedException)
        {
            candidates = [(0, area.Length)];
        }
        if (area.Shared is var (memfd, offset))
        {
            // Also the memfd's data; the page scan still counts: a private copy-on-write mapping laid over part of the
            // area (shared flash) holds pages the memfd does not.
            candidates = Merge([.. candidates, .. FileDescriptors.DataRuns(memfd, offset, area.Length)]);
        }
        var runs = new List<(ulong, ulong)>();
        foreach (var (start, size) in candidates)
        {
            GuestSnapshot.ForEachNonZeroRun(area.Host, start, size, (at, bytes) => runs.Add((at, bytes)));
        }
        return runs;
    }

    // Sorted runs with overlapping or touching ones joined.
    private static List<(ulong Start, ulong Length)> Merge(List<(ulong Start, ulong Length)> runs)
    {
        runs.Sort();
        var merged = new List<(ulong Start, ulong Length)>();
        foreach (var (start, length) in runs)
        {
            if (merged.Count > 0 && merged[^1].Start + merged[^1].Length >= start)
            {
                var (s, l) = merged[^1];
                merged[^1] = (s, Math.Max(s + l, start + length) - s);
            }
            else
            {
                merged.Add((start, length));
            }
        }
        return merged;
    }

    private static string Hash(ReadOnlySpan<byte> bytes) => XxHash3.HashToUInt64(bytes).ToString("x16");

    private static ulong Align(ulong value, ulong alignment) => (value + alignment - 1) / alignment * alignment;

    private static string Describe(IEnumerable<SnapshotAreaRegion> regions) =>
        string.Join(", ", regions.Select(r => $"'{r.Name}' [0x{r.Start:X}, size 0x{r.Size:X}]"));
}
