using MemGate.Devices;
using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Firmware;

/// <summary>
/// A firmware image read from a file: segments to place, the entry point when the format carries one,
/// and symbols (ELF). <see cref="LoadInto(GuestMemory)"/> writes it through the debug path, so flash can
/// be loaded, after checking that every segment lies in host-backed regions — nothing is half-loaded.
/// </summary>
public sealed class FirmwareImage
{
    /// <summary>Creates an image; overlapping segments are rejected with both origins.</summary>
    public FirmwareImage(string file, FirmwareFormat format, IEnumerable<FirmwareSegment> segments, ulong? entryPoint = null, IEnumerable<FirmwareSymbol>? symbols = null,
        ImageArchitecture? architecture = null)
    {
        Architecture = architecture;
        File = file;
        Format = format;
        Segments = segments.Where(s => s.Data.Length > 0).OrderBy(s => s.Address).ToList();
        EntryPoint = entryPoint;
        Symbols = [.. symbols ?? []];
        for (int i = 1; i < Segments.Count; i++)
        {
            if (Segments[i].Address < Segments[i - 1].End)
            {
                throw new FirmwareFormatException(file, Segments[i].Origin,
                    $"[0x{Segments[i].Address:X}, 0x{Segments[i].End:X}) overlaps {Segments[i - 1].Origin} [0x{Segments[i - 1].Address:X}, 0x{Segments[i - 1].End:X})");
            }
        }
    }

    /// <summary>The file it was read from.</summary>
    public string File { get; }

    /// <summary>Parts that run elsewhere than they are stored (ELF segments whose virtual and load addresses differ).</summary>
    public IReadOnlyList<FirmwareRunRange> RunRanges { get; init; } = [];

    /// <summary>The file's format.</summary>
    public FirmwareFormat Format { get; }

    /// <summary>Segments in address order.</summary>
    public IReadOnlyList<FirmwareSegment> Segments { get; }

    /// <summary>Where execution starts, when the file says (ELF e_entry, HEX type 03/05, S7/S8/S9).</summary>
    public ulong? EntryPoint { get; }

    /// <summary>The CPU the image is built for (ELF header facts), or null for formats that do not say (HEX, S-record, raw).</summary>
    public ImageArchitecture? Architecture { get; }

    /// <summary>ELF symbols (functions and objects with names).</summary>
    public IReadOnlyList<FirmwareSymbol> Symbols { get; }

    /// <summary>Total bytes in the segments.</summary>
    public ulong Size => Segments.Aggregate(0UL, (sum, s) => sum + (ulong)s.Data.LongLength);

    /// <summary>The symbol covering <paramref name="address"/> (or starting there), or null.</summary>
    public FirmwareSymbol? SymbolAt(ulong address) =>
        Symbols.Where(s => s.Address == address || (address > s.Address && address - s.Address < s.Size)).OrderByDescending(s => s.Address).FirstOrDefault();

    /// <summary>
    /// Refuses an image built for another CPU than <paramref name="device"/>'s (machine, class, byte order,
    /// FPU/base-ISA flags; see <see cref="ImageCompatibility"/>). Images without an ELF header pass.
    /// </summary>
    /// <exception cref="FirmwareCompatibilityException">The image cannot run on the device; the message names both.</exception>
    public void CheckRunsOn(DeviceDescription device)
    {
        if (ImageCompatibility.Check(this, device) is { } problem)
        {
            throw new FirmwareCompatibilityException(File, device.Name, problem);
        }
    }

    /// <summary>
    /// Checks against the device's map that every segment fits, then writes them into the device's first
    /// address space (its program space on AVR: pass that memory instead).
    /// </summary>
    /// <exception cref="FirmwareFormatException">A segment falls outside every region, into a hole or into a peripheral.</exception>
    public void LoadInto(DeviceMemory device)
    {
        ArgumentNullException.ThrowIfNull(device);
        CheckFits(device.Device);
        Write(device.Main);
    }

    /// <summary>
    /// Checks that every segment lies in regions of <paramref name="space"/> (the first address space if
    /// null) that hold memory (RAM, flash, ROM, storage), not in holes, peripheral, register or alias regions.
    /// </summary>
    /// <exception cref="FirmwareFormatException">A segment does not fit; the message names the segment, the address and the region.</exception>
    public void CheckFits(DeviceDescription device, string? space = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        foreach (var segment in Segments)
        {
            if (Misfit(device, space, segment.Address, (ulong)segment.Data.LongLength) is { } misfit)
            {
                throw misfit.What is { } what ? NoMemory(segment, misfit.At, what) : Outside(segment, misfit.At, misfit.Before);
            }
        }
        // Where the start-up code copies data and clears memory: a device with less RAM than the image was built for fails
        // here, not with a fault in the start-up code. Only where the run address starts in the device's memory: elsewhere it
        // is an address of another space (AVR data at 0x800000) or a virtual one a kernel's page tables give (higher half).
        foreach (var run in RunRanges)
        {
            if (device.AddressIndex.RegionsOverlapping(run.Address, 1, space).Any(r => r.Type is not (DeviceRegionType.Mmio or DeviceRegionType.Registers))
                && Misfit(device, space, run.Address, run.Size, inputWindows: true) is { } away)
            {
                throw new FirmwareFormatException(File, run.Origin,
                    $"runs at [0x{run.Address:X}, 0x{run.Address + run.Size:X}) (stored at 0x{run.StoredAt:X}; the start-up code copies its data there and clears the rest), " +
                    (away.What is { } what ? $"which reaches 0x{away.At:X} in {what}, which holds no memory"
                        : $"but address 0x{away.At:X} is in no region" + (away.Before is { } r && run.Address >= r.Start
                            ? $" (region '{r.Name}' [0x{r.Start:X}, 0x{r.Start + r.Size:X}) is {ByteSize.Exact(r.Size)}; the image needs {ByteSize.Exact(run.Address + run.Size - r.Start)} from its start)"
                            : "")));
            }
        }
    }

    // Where [start, start + length) stops lying in regions that hold memory: the first address outside them, and either the
    // region that ends just before it (a hole or the map's end) or what is there instead (a peripheral or a mirror of one).
    // With `inputWindows`, an MMIO region whose reads come from the fuzz input passes too: a DMA buffer in .data or .bss
    // that Fuzzware serves from the input (an imported overlay), where the start-up code's copies go unread.
    private static (ulong At, (string Name, ulong Start, ulong Size)? Before, string? What)? Misfit(DeviceDescription device, string? space, ulong start, ulong length,
        bool inputWindows = false)
    {
        // Inclusive ends: a range may end exactly at 2^64, where its end wraps to 0.
        ulong at = start;
        ulong last = start + (length - 1);
        // In address order; overlapping regions (only in descriptions being validated) cannot occur here.
        foreach (var region in device.AddressIndex.RegionsOverlapping(start, length, space))
        {
            if (region.Start > at)
            {
                break;   // a hole before this region
            }
            bool inputWindow = inputWindows && region.Type == DeviceRegionType.Mmio && (region.Unmodelled ?? device.Unmodelled) == UnmodelledPolicy.Input;
            if (!inputWindow && (region.Type is DeviceRegionType.Mmio or DeviceRegionType.Registers
                || (region.Type is DeviceRegionType.Alias && !MirrorsMemory(device, region))))
            {
                return (at, null, What(region));
            }
            if (region.Last >= last)
            {
                return null;
            }
            at = region.Last + 1;
        }
        return (at, device.AddressIndex.RegionsOverlapping(at - 1, 1, space).FirstOrDefault(r => r.Last == at - 1) is { } before
            ? (before.Name, before.Start, before.Size) : null, null);
    }

    // Whether a plain (not bit-band) alias shows memory throughout: an image loads through it into that memory, as QEMU's
    // loader writes through a boot alias into flash.
    private static bool MirrorsMemory(DeviceDescription device, DeviceRegion alias) =>
        alias.AliasMode != AliasMode.BitBand && alias.AliasOf is { } name && device.FindRegion(name) is { } target
            && target.Type is not (DeviceRegionType.Mmio or DeviceRegionType.Registers or DeviceRegionType.Alias) && alias.Size <= target.Size;

    private static string What(DeviceRegion region) => region.Type == DeviceRegionType.Alias ? $"alias region '{region.Name}'" : $"peripheral region '{region.Name}'";

    /// <summary>Checks that every segment lies in host-backed regions, then writes them (debug path: flash is writable here).</summary>
    /// <exception cref="FirmwareFormatException">A segment falls outside every region, into a hole or into a peripheral.</exception>
    public void LoadInto(GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        foreach (var segment in Segments)
        {
            Check(memory, segment);
        }
        Write(memory);
    }

    private void Write(GuestMemory memory)
    {
        foreach (var segment in Segments)
        {
            memory.Debug.Write(new GuestAddress(segment.Address), segment.Data);
        }
    }

    // A bare GuestMemory has no device description to index: its own region table answers.
    private void Check(GuestMemory memory, FirmwareSegment segment)
    {
        ulong at = segment.Address;
        ulong last = segment.Address + ((ulong)segment.Data.LongLength - 1);   // inclusive: End wraps to 0 at the top
        while (true)
        {
            var region = memory.FindRegion(new GuestAddress(at)) ?? throw Outside(segment, at,
                at > 0 && memory.FindRegion(new GuestAddress(at - 1)) is { } before ? (before.Name, before.Start.Value, before.Size) : null);
            // As MirrorsMemory: a plain alias of one memory region that it fits in.
            if (!region.HasHostMemory && !(region.Handler is MirrorHandler mirror && mirror.Memory.FindRegion(mirror.Target) is { HasHostMemory: true } target
                && target.Start == mirror.Target && target.Size >= region.Size))
            {
                throw NoMemory(segment, at, region.Handler is IMemoryWindow ? $"alias region '{region.Name}'" : $"peripheral region '{region.Name}'");
            }
            if (region.Last.Value >= last)
            {
                return;
            }
            at = region.Last.Value + 1;
        }
    }

    // `before`: the region that ends at `at`, which the segment overruns.
    private FirmwareFormatException Outside(FirmwareSegment segment, ulong at, (string Name, ulong Start, ulong Size)? before) => new(File, segment.Origin,
        $"[0x{segment.Address:X}, 0x{segment.End:X}) does not fit the device: address 0x{at:X} is in no region" + (before is { } r && segment.Address >= r.Start
            ? $" (the {ByteSize.Exact(segment.End - segment.Address)} segment starts in region '{r.Name}' [0x{r.Start:X}, 0x{r.Start + r.Size:X}), {ByteSize.Exact(r.Size)}, and runs {ByteSize.Exact(segment.End - at)} past its end)"
            : ""));

    // `what`: the kind of region and its name.
    private FirmwareFormatException NoMemory(FirmwareSegment segment, ulong at, string what) => new(File, segment.Origin,
        $"[0x{segment.Address:X}, 0x{segment.End:X}) reaches 0x{at:X} in {what}, which holds no memory");
}
