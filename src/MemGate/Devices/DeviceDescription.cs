using System.Numerics;
using MemGate.Memory;

namespace MemGate.Devices;

/// <summary>
/// A device's memory map: its address spaces, regions and peripherals, plus what the CPU is. Immutable
/// and validated on construction: a description that exists is one MemGate can allocate.
/// </summary>
/// <remarks>
/// Errors (overlaps within a space, zero sizes, regions past the space's address width, regions not
/// aligned to <see cref="PageSize"/>, aliases of missing regions, duplicate names, unknown spaces)
/// throw <see cref="DeviceDescriptionException"/> listing all of them. Warnings (for example executable
/// RAM) do not; they are kept in <see cref="Warnings"/>.
/// </remarks>
public sealed class DeviceDescription
{
    private readonly DeviceLayout _layout;   // the validated parts; lookups share its code

    /// <summary>The space devices with a single address space use when none is named.</summary>
    public const string DefaultSpace = "main";

    /// <summary>Validates and creates a description.</summary>
    /// <exception cref="DeviceDescriptionException">The description has errors.</exception>
    public DeviceDescription(
        string name,
        IEnumerable<DeviceRegion> regions,
        IEnumerable<DeviceAddressSpace>? spaces = null,
        IEnumerable<DevicePeripheral>? peripherals = null,
        string description = "",
        string architecture = "",
        string cpu = "",
        ByteOrder byteOrder = ByteOrder.LittleEndian,
        ulong pageSize = 1,
        bool allocateAtOnce = true,
        DeviceBoot? boot = null,
        IEnumerable<DeviceSymbol>? symbols = null,
        string? svd = null,
        UnmodelledPolicy unmodelled = UnmodelledPolicy.Plain,
        IEnumerable<DeviceRule>? rules = null,
        IEnumerable<DeviceInterruptTrigger>? interruptTriggers = null,
        IEnumerable<Mmio.MmioInputModel>? mmioModels = null,
        IEnumerable<DeviceHook>? hooks = null,
        DeviceLimits? limits = null)
    {
        Name = name;
        Description = description;
        Architecture = architecture;
        Cpu = cpu;
        ByteOrder = byteOrder;
        PageSize = pageSize;
        AllocateAtOnce = allocateAtOnce;
        Spaces = [.. spaces ?? [new DeviceAddressSpace(DefaultSpace, 32)]];
        Regions = [.. regions];
        Peripherals = [.. peripherals ?? []];
        Boot = boot ?? new DeviceBoot();
        Symbols = [.. symbols ?? []];
        Svd = svd;
        Unmodelled = unmodelled;
        Rules = [.. rules ?? []];
        InterruptTriggers = [.. interruptTriggers ?? []];
        MmioModels = [.. mmioModels ?? []];
        Hooks = [.. hooks ?? []];
        Limits = limits ?? new DeviceLimits();
        _layout = new DeviceLayout(Name, Regions, Spaces, Peripherals, PageSize, Boot, Symbols, Rules);
        var diagnostics = DeviceValidator.Validate(_layout);
        for (int i = 0; i < Hooks.Count; i++)
        {
            if (AddressOf(Hooks[i].At) is null)
            {
                diagnostics.Add(new DeviceDiagnostic(DiagnosticSeverity.Error, $"hooks[{i}].at",
                    $"'{Hooks[i].At}' is neither an address nor one of the device's [[symbols]]"));
            }
        }
        for (int i = 0; i < InterruptTriggers.Count; i++)
        {
            if (InterruptTriggers[i].At is { } at && AddressOf(at) is null)
            {
                diagnostics.Add(new DeviceDiagnostic(DiagnosticSeverity.Error, $"interrupt_triggers[{i}].at",
                    $"trigger '{InterruptTriggers[i].Name}': '{at}' is neither an address nor one of the device's [[symbols]]"));
            }
        }
        if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            throw new DeviceDescriptionException($"Device '{name}'", diagnostics);
        }
        Warnings = diagnostics;
    }

    /// <summary>The device's name, for example "STM32F103".</summary>
    public string Name { get; }

    /// <summary>Free text; templates name their source (datasheet section or emulator board) here.</summary>
    public string Description { get; }

    /// <summary>The instruction set, for example "armv7-m", "avr5", "rv32imac", "xtensa".</summary>
    public string Architecture { get; }

    /// <summary>The CPU core, for example "cortex-m3".</summary>
    public string Cpu { get; }

    /// <summary>The CPU's byte order.</summary>
    public ByteOrder ByteOrder { get; }

    /// <summary>Allocation granularity in bytes (a power of two); every region is aligned to it.</summary>
    public ulong PageSize { get; }

    /// <summary>Whether all regions are backed at once (the seed's <c>allocate_at_once</c>).</summary>
    public bool AllocateAtOnce { get; }

    /// <summary>The address spaces, in file order.</summary>
    public IReadOnlyList<DeviceAddressSpace> Spaces { get; }

    /// <summary>The regions, in file order.</summary>
    public IReadOnlyList<DeviceRegion> Regions { get; }

    /// <summary>The peripherals, in file order.</summary>
    public IReadOnlyList<DevicePeripheral> Peripherals { get; }

    /// <summary>Entry point, initial stack pointer and vector table, where the file gives them.</summary>
    public DeviceBoot Boot { get; }

    /// <summary>A CMSIS-SVD file (relative to the device file) whose peripherals become register blocks.</summary>
    public string? Svd { get; }

    /// <summary>What peripheral regions do where no register is modelled.</summary>
    public UnmodelledPolicy Unmodelled { get; }

    /// <summary>Rules for status bits nothing models.</summary>
    public IReadOnlyList<DeviceRule> Rules { get; }

    /// <summary>Interrupts the machine raises on its own (<c>[[interrupt_triggers]]</c>), as Fuzzware's triggers.</summary>
    public IReadOnlyList<DeviceInterruptTrigger> InterruptTriggers { get; }

    /// <summary>How reads of unmodelled registers served from the MMIO input are answered (<c>[[mmio_models]]</c>, Fuzzware's <c>mmio_models</c>).</summary>
    public IReadOnlyList<Mmio.MmioInputModel> MmioModels { get; }

    /// <summary>Stops and function returns at addresses or symbols (<c>[[hooks]]</c>; Fuzzware's <c>exit_at</c> and <c>handlers</c>).</summary>
    public IReadOnlyList<DeviceHook> Hooks { get; }

    /// <summary>Per-run limits the file sets (<c>[limits]</c>); empty when it sets none.</summary>
    public DeviceLimits Limits { get; }

    /// <summary>Named addresses, in file order.</summary>
    public IReadOnlyList<DeviceSymbol> Symbols { get; }

    /// <summary>Problems that do not stop the device from loading.</summary>
    public IReadOnlyList<DeviceDiagnostic> Warnings { get; internal set; }

    /// <summary>Where each field was in the device file this description was read from (empty when not read from one).</summary>
    internal IReadOnlyDictionary<string, SourceLocation> FieldLocations { get; set; } = new Dictionary<string, SourceLocation>();

    /// <summary>
    /// The files this description was read from, as full paths: the device file, or an imported configuration and every
    /// file it includes; empty for a template or a description built in code. A command's outputs must not replace them.
    /// </summary>
    public IReadOnlyList<string> SourceFiles { get; internal set; } = [];

    /// <summary>Where <paramref name="field"/> (<c>rules[2].register</c>), or the nearest field holding it, was in the device file; null when not read from one.</summary>
    public SourceLocation? LocationOf(string field) => Nearest(FieldLocations, field);

    /// <summary>The location of <paramref name="field"/>, else of the nearest field holding it (<c>rules[2]</c>, then <c>rules</c>).</summary>
    internal static SourceLocation? Nearest(IReadOnlyDictionary<string, SourceLocation> locations, string field)
    {
        for (string f = field; f.Length > 0; f = f.Contains('.') ? f[..f.LastIndexOf('.')] : "")
        {
            if (locations.TryGetValue(f, out var location))
            {
                return location;
            }
        }
        return null;
    }

    /// <summary>
    /// The same device with every region's <c>file</c> (and the <c>svd</c>) made relative to <paramref name="directory"/>
    /// instead of <paramref name="from"/> (rooted paths are made relative too): what a writer needs so the file it
    /// writes in <paramref name="directory"/> still finds the contents.
    /// </summary>
    public DeviceDescription WithFilesRelativeTo(string directory, string from) =>
        WithFiles(file => Path.GetRelativePath(Path.GetFullPath(directory), Path.GetFullPath(Path.Combine(from, file))));

    /// <summary>
    /// The same device with its files named as a device file written at <paramref name="deviceFile"/> must name them
    /// to find them (see <see cref="WithFilesRelativeTo"/>); with no file (standard output, saved who knows where) as full
    /// paths, resolved from <paramref name="from"/>.
    /// </summary>
    public DeviceDescription WithFilesFor(string? deviceFile, string from) => deviceFile is null
        ? WithFiles(file => Path.GetFullPath(Path.Combine(from, file)))
        : WithFilesRelativeTo(Path.GetDirectoryName(Path.GetFullPath(deviceFile))!, from);

    private DeviceDescription WithFiles(Func<string, string> map)
    {
        var regions = Regions.Select(r => r.InitFile is { } file ? r with { InitFile = map(file) } : r);
        string? svd = Svd is null ? null : map(Svd);
        return new DeviceDescription(Name, regions, Spaces, Peripherals, Description, Architecture, Cpu, ByteOrder, PageSize, AllocateAtOnce, Boot, Symbols, svd, Unmodelled, Rules, InterruptTriggers, MmioModels, Hooks, Limits)
        {
            Warnings = Warnings,
            FieldLocations = FieldLocations,
            SourceFiles = SourceFiles,
        };
    }

    /// <summary>Whether any unmodelled register reads from the MMIO input (the device's policy, or an mmio region's, is <see cref="UnmodelledPolicy.Input"/>).</summary>
    public bool TakesMmioInput => Regions.Any(r => r.Type == DeviceRegionType.Mmio && (r.Unmodelled ?? Unmodelled) == UnmodelledPolicy.Input);

    /// <summary>The device as a run with MMIO input sees it: itself when it has input regions (a Fuzzware import), else with every unmodelled register reading the input.</summary>
    public DeviceDescription ForMmioInput() => TakesMmioInput ? this : WithUnmodelled(UnmodelledPolicy.Input);

    /// <summary>The same device with <paramref name="policy"/> for unmodelled registers wherever a region does not set its own (a fuzzer feeds every such read from its input).</summary>
    public DeviceDescription WithUnmodelled(UnmodelledPolicy policy) =>
        new(Name, Regions, Spaces, Peripherals, Description, Architecture, Cpu, ByteOrder, PageSize, AllocateAtOnce, Boot, Symbols, Svd, policy, Rules, InterruptTriggers, MmioModels, Hooks, Limits)
        {
            Warnings = Warnings,
            FieldLocations = FieldLocations,
            SourceFiles = SourceFiles,
        };

    /// <summary>The region called <paramref name="name"/>, or null.</summary>
    public DeviceRegion? FindRegion(string name) => _layout.FindRegion(name);

    /// <summary>The address <paramref name="symbolOrAddress"/> names: one of the device's symbols, else a number (hex "0x…" or decimal); null when it is neither.</summary>
    public ulong? AddressOf(string symbolOrAddress) => AddressOf(Symbols, symbolOrAddress);

    // A symbol's address, or the text as a number; null when it is neither (for hooks and triggers, and imports before the device exists).
    internal static ulong? AddressOf(IEnumerable<DeviceSymbol> symbols, string symbolOrAddress) =>
        symbols.FirstOrDefault(s => s.Name == symbolOrAddress)?.Address ?? (Config.ConfigNumber.TryParse(symbolOrAddress, out ulong address) ? address : null);

    /// <summary>The region of <paramref name="space"/> (the first address space if null) holding <paramref name="address"/>, or null.</summary>
    public DeviceRegion? RegionAt(ulong address, string? space = null) => _layout.Index.RegionAt(address, space);

    /// <summary>Answers which region or peripheral holds or overlaps an address range (see <see cref="DeviceAddressIndex"/>).</summary>
    public DeviceAddressIndex AddressIndex => _layout.Index;

    /// <summary>The space called <paramref name="name"/>, or null.</summary>
    public DeviceAddressSpace? FindSpace(string name) => Spaces.FirstOrDefault(s => s.Name == name);

    /// <summary>Total bytes of the regions of <paramref name="type"/>.</summary>
    public ulong TotalSize(DeviceRegionType type) => Regions.Where(r => r.Type == type).Aggregate(0UL, (sum, r) => sum + r.Size);

    internal static bool IsPowerOfTwo(ulong value) => value != 0 && BitOperations.IsPow2(value);
}
