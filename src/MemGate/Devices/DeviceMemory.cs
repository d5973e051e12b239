using MemGate.Memory;
using MemGate.Memory.Backing;
using MemGate.Mmio;

namespace MemGate.Devices;

/// <summary>
/// A device's memory, allocated: one <see cref="GuestMemory"/> per address space, every region at its
/// guest address. RAM, flash, ROM and storage get host memory; peripheral (mmio) and register regions are
/// served as plain registers until a model is attached; aliases are windows onto their targets
/// (mirrors byte for byte, bit-band aliases bit per word).
/// </summary>
public sealed class DeviceMemory : IDisposable
{
    private readonly Dictionary<string, GuestMemory> _spaces;

    private DeviceMemory(DeviceDescription device, Dictionary<string, GuestMemory> spaces, ICpuRegisterFile registers)
    {
        Device = device;
        _spaces = spaces;
        CpuRegisters = registers;
    }

    /// <summary>The CPU registers the device's registers regions map (an array until a CPU engine supplies its own).</summary>
    public ICpuRegisterFile CpuRegisters { get; }

    /// <summary>The description this memory was allocated from.</summary>
    public DeviceDescription Device { get; }

    /// <summary>The memory of the device's first address space (the only one on most parts).</summary>
    public GuestMemory Main => _spaces[Device.Spaces[0].Name];

    /// <summary>The memory of the address space called <paramref name="space"/>.</summary>
    /// <exception cref="KeyNotFoundException">The device has no such space.</exception>
    public GuestMemory this[string space] => _spaces.TryGetValue(space, out var memory)
        ? memory
        : throw new KeyNotFoundException($"Device '{Device.Name}' has no address space '{space}' (spaces: {string.Join(", ", _spaces.Keys)}).");

    /// <summary>Backs every region of <paramref name="device"/> and loads initial contents.</summary>
    /// <param name="device">A validated description.</param>
    /// <param name="baseDirectory">Where region <c>file</c> paths are relative to; the current directory if null.</param>
    /// <param name="backing">Host memory provider for 64-bit spaces; anonymous mmap if null.</param>
    /// <exception cref="FileNotFoundException">A region's initial-contents file does not exist.</exception>
    /// <exception cref="ArgumentException">A region's initial-contents file is larger than the region.</exception>
    /// <param name="registers">The CPU register file the registers regions show; an array file with every mapped register if null.</param>
    public static DeviceMemory Allocate(DeviceDescription device, string? baseDirectory = null, IBackingProvider? backing = null, ICpuRegisterFile? registers = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        registers ??= new ArrayRegisterFile(device.Regions.Where(r => r.Type == DeviceRegionType.Registers).SelectMany(RegisterLayout.Of));
        var spaces = new Dictionary<string, GuestMemory>(StringComparer.Ordinal);
        try
        {
            for (int i = 0; i < device.Spaces.Count; i++)
            {
                var space = device.Spaces[i];
                spaces[space.Name] = new GuestMemory(new GuestMemoryOptions
                {
                    AddressWidth = space.AddressWidth,
                    ByteOrder = device.ByteOrder,
                    Space = i,
                    BackingProvider = backing ?? AnonymousBackingProvider.Instance,
                });
            }
            // Memory regions first, so aliases always find their targets.
            foreach (var region in device.Regions.OrderBy(r => r.Type == DeviceRegionType.Alias))
            {
                var memory = spaces[region.Space];
                memory.AddRegion(ToGuestRegion(device, region, memory, spaces, registers));
            }
            foreach (var region in device.Regions.Where(r => r.InitFile is not null))
            {
                LoadContents(spaces[region.Space], region, Path.Combine(baseDirectory ?? Directory.GetCurrentDirectory(), region.InitFile!));
            }
            return new DeviceMemory(device, spaces, registers);
        }
        catch
        {
            foreach (var memory in spaces.Values)
            {
                memory.Dispose();
            }
            throw;
        }
    }

    /// <summary>Resident host memory over all spaces, in bytes.</summary>
    public ulong ResidentBytes() => _spaces.Values.Aggregate(0UL, (sum, m) => sum + m.ResidentBytes());

    /// <summary>Releases the host memory of every space.</summary>
    public void Dispose()
    {
        foreach (var memory in _spaces.Values)
        {
            memory.Dispose();
        }
    }

    private static GuestRegion ToGuestRegion(DeviceDescription device, DeviceRegion region, GuestMemory memory, Dictionary<string, GuestMemory> spaces, ICpuRegisterFile registers)
    {
        var start = new GuestAddress(region.Start);
        int space = memory.Space;
        switch (region.Type)
        {
            case DeviceRegionType.Alias:
                var target = device.FindRegion(region.AliasOf!)!;
                var targetMemory = spaces[target.Space];
                IMmioHandler view = region.AliasMode == AliasMode.BitBand
                    ? new BitBandHandler(targetMemory, new GuestAddress(target.Start))
                    : new MirrorHandler(targetMemory, new GuestAddress(target.Start));
                return new GuestRegion(region.Name, start, region.Size, region.Permissions, RegionKind.Mmio, space, view);
            case DeviceRegionType.Registers:
                var window = new CpuRegisterWindow(region.Name, registers, RegisterLayout.Of(region).Select(r => r.Name), device.ByteOrder, region.Start);
                return new GuestRegion(region.Name, start, region.Size, region.Permissions, RegionKind.Mmio, space, window);
            case DeviceRegionType.Mmio:
                return new GuestRegion(region.Name, start, region.Size, region.Permissions, RegionKind.Mmio, space, new PlainRegisters(region.Size, device.ByteOrder));
            default:
                var kind = region.Type switch
                {
                    DeviceRegionType.Flash => RegionKind.Flash,
                    DeviceRegionType.Rom => RegionKind.Rom,
                    DeviceRegionType.Storage => RegionKind.Storage,
                    _ => RegionKind.Ram,
                };
                return new GuestRegion(region.Name, start, region.Size, region.Permissions, kind, space);
        }
    }

    private static void LoadContents(GuestMemory memory, DeviceRegion region, string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Region '{region.Name}': initial contents file '{path}' does not exist.", path);
        }
        byte[] bytes = File.ReadAllBytes(path);
        if (region.FileOffset > (ulong)bytes.LongLength)
        {
            throw new ArgumentException($"Region '{region.Name}': file offset 0x{region.FileOffset:X} is past the end of '{path}' (0x{bytes.LongLength:X} bytes).");
        }
        var contents = bytes.AsSpan((int)region.FileOffset);
        if ((ulong)contents.Length > region.Size)
        {
            throw new ArgumentException($"Region '{region.Name}' [0x{region.Start:X}, size 0x{region.Size:X}]: file '{path}' from offset 0x{region.FileOffset:X} has 0x{contents.Length:X} bytes, more than the region holds.");
        }
        memory.Debug.Write(new GuestAddress(region.Start), contents);
    }
}
