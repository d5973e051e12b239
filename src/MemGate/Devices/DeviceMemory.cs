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
    private readonly Dictionary<string, PeripheralBus> _buses;

    private DeviceMemory(DeviceDescription device, Dictionary<string, GuestMemory> spaces, ICpuRegisterFile registers,
        Dictionary<string, RegisterBlock> peripherals, Dictionary<string, PeripheralBus> buses, List<string> warnings)
    {
        Device = device;
        _spaces = spaces;
        _buses = buses;
        CpuRegisters = registers;
        Peripherals = peripherals;
        Warnings = warnings;
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

    /// <summary>Backs every region of <paramref name="device"/> and loads initial contents; files are relative to <paramref name="baseDirectory"/>.</summary>
    public static DeviceMemory Allocate(DeviceDescription device, string? baseDirectory = null) =>
        Allocate(device, new DeviceMemoryOptions { BaseDirectory = baseDirectory });

    /// <summary>
    /// Backs every region of <paramref name="device"/>, loads initial contents and, when the device names
    /// an SVD file, attaches a register block for each of its peripherals to the peripheral region holding it.
    /// </summary>
    /// <exception cref="FileNotFoundException">A region's file or the SVD file does not exist.</exception>
    /// <exception cref="DeviceDescriptionException">A file is larger than its region, or a rule names a register the SVD does not have.</exception>
    /// <exception cref="Mmio.Svd.SvdFormatException">The SVD file is malformed.</exception>
    public static DeviceMemory Allocate(DeviceDescription device, DeviceMemoryOptions? options)
    {
        ArgumentNullException.ThrowIfNull(device);
        options ??= new DeviceMemoryOptions();
        string baseDirectory = options.BaseDirectory ?? Directory.GetCurrentDirectory();
        var registers = options.Registers
            ?? new ArrayRegisterFile(device.Regions.Where(r => r.Type == DeviceRegionType.Registers).SelectMany(RegisterLayout.Of));
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
                    BackingProvider = options.Backing ?? AnonymousBackingProvider.Instance,
                });
            }
            options.MmioInput?.UseModels(device.MmioModels);
            var buses = new Dictionary<string, PeripheralBus>(StringComparer.Ordinal);
            var warnings = new List<string>();
            var blocks = new Dictionary<string, RegisterBlock>(StringComparer.OrdinalIgnoreCase);
            // Peripheral regions get a bus first, so SVD blocks can be attached before the region goes live.
            foreach (var region in device.Regions.Where(r => r.Type == DeviceRegionType.Mmio))
            {
                var policy = region.Unmodelled ?? device.Unmodelled;
                buses[region.Name] = new PeripheralBus(region.Name, region.Size, region.Start, PolicyOf(policy),
                    plainFallback: policy == UnmodelledPolicy.Plain, device.ByteOrder, options.Log, options.MmioInput, options.ProgramCounter);
            }
            foreach (var model in options.Models)
            {
                var region = device.AddressIndex.MmioRegionHolding(model.Base, model.Size)
                    ?? throw new ArgumentException($"Model '{model.Name}' at 0x{model.Base:X} is not inside any peripheral (mmio) region of device '{device.Name}'.");
                buses[region.Name].Attach(model.Base - region.Start, model.Size, model.Handler, model.Name);
            }
            if (device.Svd is { } svdPath)
            {
                AttachSvd(device, Mmio.Svd.SvdReader.Load(Path.Combine(baseDirectory, svdPath)), options.Models, buses, blocks, warnings, options.Log);
            }
            else if (CheckRules(device, null) is { Count: > 0 } problems)
            {
                throw new DeviceDescriptionException(device.Name, problems);
            }
            // Memory regions first, so aliases always find their targets; each space's in one batch.
            foreach (bool aliases in (bool[])[false, true])
            {
                foreach (var (name, memory) in spaces)
                {
                    memory.AddRegions(device.Regions
                        .Where(r => r.Space == name && (r.Type == DeviceRegionType.Alias) == aliases)
                        .Select(r => ToGuestRegion(device, r, memory, spaces, registers, buses, options.Trace)));
                }
            }
            for (int i = 0; i < device.Regions.Count; i++)
            {
                if (device.Regions[i] is { InitFile: { } file } region)
                {
                    LoadContents(device, i, spaces[region.Space], Path.Combine(baseDirectory, file));
                }
            }
            return new DeviceMemory(device, spaces, registers, blocks, buses, warnings);
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

    /// <summary>The register blocks attached from the device's SVD file, by peripheral name.</summary>
    public IReadOnlyDictionary<string, RegisterBlock> Peripherals { get; }

    /// <summary>Writes what the SVD register blocks and the regions' plain registers hold, for a machine snapshot.</summary>
    public void SaveState(StateWriter writer)
    {
        foreach (var (name, block) in Peripherals.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.Begin(name);
            block.SaveValues(writer);
        }
        foreach (var (_, bus) in _buses.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            bus.SaveState(writer);
        }
    }

    /// <summary>Reads back what <see cref="SaveState"/> wrote.</summary>
    /// <exception cref="InvalidDataException">The state is another device's.</exception>
    public void RestoreState(StateReader reader)
    {
        foreach (var (name, block) in Peripherals.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            reader.Begin(name);
            block.RestoreValues(reader);
        }
        foreach (var (_, bus) in _buses.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            bus.RestoreState(reader);
        }
    }

    /// <summary>Problems found while attaching peripherals (an SVD peripheral outside every peripheral region).</summary>
    public IReadOnlyList<string> Warnings { get; }

    private static UnmodelledAccessPolicy PolicyOf(UnmodelledPolicy policy) => policy switch
    {
        UnmodelledPolicy.Fault => UnmodelledAccessPolicy.Fault,
        UnmodelledPolicy.Record => UnmodelledAccessPolicy.Record,
        UnmodelledPolicy.Input => UnmodelledAccessPolicy.Input,
        _ => UnmodelledAccessPolicy.ReadZeroWriteIgnore,
    };

    private static void AttachSvd(DeviceDescription device, Mmio.Svd.SvdDevice svd, IReadOnlyList<PeripheralBlock> models, Dictionary<string, PeripheralBus> buses,
        Dictionary<string, RegisterBlock> blocks, List<string> warnings, Action<string>? log)
    {
        var rules = device.Rules.GroupBy(r => r.Register, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
        var trimmed = new List<Mmio.Svd.SvdWarning>();
        var (attached, leftOut) = Attachable(device, svd, models.Select(m => (m.Base, m.Size, m.Name)), trimmed);
        warnings.AddRange(svd.Warnings.Concat(trimmed).Concat(leftOut.Select(l => l.Why)).Select(w => w.ToString()));
        foreach (var peripheral in attached)
        {
            var region = device.AddressIndex.MmioRegionHolding(peripheral.BaseAddress, peripheral.Size)!;
            RegisterBlock block;
            try
            {
                block = peripheral.CreateBlock(device.ByteOrder, device.Unmodelled == UnmodelledPolicy.Input ? UnmodelledAccessPolicy.ReadZeroWriteIgnore : PolicyOf(device.Unmodelled), log,
                    definition => ApplyRules(definition, peripheral.Name, rules, blocks));
                buses[region.Name].Attach(peripheral.BaseAddress - region.Start, peripheral.Size, block, peripheral.Name);
            }
            catch (ArgumentException e)
            {
                // The registers came from the SVD file: a block that cannot be built is the file's error, at the peripheral's line.
                throw new Mmio.Svd.SvdFormatException(svd.File, peripheral.Line, $"peripheral[{peripheral.Name}]", e.Message, e);
            }
            blocks[peripheral.Name] = block;
        }
        var problems = RuleProblems(device, name => blocks.TryGetValue(name, out var b) ? b.AllRegisters : null, name => $"the SVD has no attached peripheral '{name}'");
        if (problems.Count > 0)
        {
            throw new DeviceDescriptionException(device.Name, problems);
        }
    }

    /// <summary>
    /// Builds the register block of every peripheral of <paramref name="svd"/> that building the device would attach, as that
    /// does, to find the ones whose registers cannot make one (registers that overlap, none marked as an alternate, as a
    /// <c>dim</c> array with <c>dimIncrement</c> 0 gives); without building the device. One error per such peripheral, located
    /// at its line of the SVD file, its field the peripheral's element (<c>peripheral[TIM9]</c>).
    /// </summary>
    /// <param name="device">The device, as read from its file.</param>
    /// <param name="svd">Its SVD file.</param>
    /// <param name="machineModels">Models the machine adds that the file does not declare (<c>FirmwareMachine.ArchitecturalPeripherals</c>): their addresses are theirs.</param>
    public static IReadOnlyList<DeviceDiagnostic> CheckSvdBlocks(DeviceDescription device, Mmio.Svd.SvdDevice svd, IReadOnlyList<DevicePeripheral>? machineModels = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(svd);
        var problems = new List<DeviceDiagnostic>();
        foreach (var peripheral in Attachable(device, svd, DeclaredModels(device, machineModels)).Attached)
        {
            if (peripheral.BlockProblem(device.ByteOrder) is { } problem)
            {
                problems.Add(new DeviceDiagnostic(DiagnosticSeverity.Error, $"peripheral[{peripheral.Name}]", problem)
                    { Location = new SourceLocation(svd.File, peripheral.Line, 0) });
            }
        }
        return problems;
    }

    /// <summary>
    /// What building the device would warn about its SVD, without building it: the flaws the SVD reader tolerated, address
    /// blocks trimmed to their registers, and the peripherals left out (outside every peripheral (mmio) region, or where a
    /// model the device declares serves their addresses); each located in the SVD file.
    /// </summary>
    /// <param name="device">The device, as read from its file.</param>
    /// <param name="svd">Its SVD file.</param>
    /// <param name="machineModels">Models the machine adds that the file does not declare (<c>FirmwareMachine.ArchitecturalPeripherals</c>).</param>
    public static IReadOnlyList<DeviceDiagnostic> SvdWarnings(DeviceDescription device, Mmio.Svd.SvdDevice svd, IReadOnlyList<DevicePeripheral>? machineModels = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(svd);
        var trimmed = new List<Mmio.Svd.SvdWarning>();
        var leftOut = Attachable(device, svd, DeclaredModels(device, machineModels), trimmed).LeftOut;
        return [.. svd.Warnings.Concat(trimmed).Concat(leftOut.Select(l => l.Why)).Select(DeviceDiagnostic.Of)];
    }

    /// <summary>The SVD's peripherals that building the device attaches, in the SVD's order, their blocks trimmed as <see cref="Mmio.Svd.SvdDevice.WithBlocksTrimmedToRegisters"/> does.</summary>
    public static IReadOnlyList<Mmio.Svd.SvdPeripheral> AttachedSvdPeripherals(DeviceDescription device, Mmio.Svd.SvdDevice svd, IReadOnlyList<DevicePeripheral>? machineModels = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(svd);
        return Attachable(device, svd, DeclaredModels(device, machineModels)).Attached;
    }

    private const string NotInMmio = "is not inside any peripheral (mmio) region, so it is not attached";

    private static string Served(string model) => $"shares addresses with '{model}', which serves them, so it is not attached";

    // Its element names the peripheral; a rule's error names it again (SVD peripheral 'X' …).
    private static Mmio.Svd.SvdWarning LeftOut(Mmio.Svd.SvdDevice svd, Mmio.Svd.SvdPeripheral p, string why) =>
        new(svd.File, p.Line, $"peripheral[{p.Name}]", $"[0x{p.BaseAddress:X}, size 0x{p.Size:X}] {why}");

    // The SVD's peripherals as building the device attaches them, in its order: inside a peripheral region and clear of the
    // models (taken: a build's attached models; a check's, DeclaredModels) and of the peripherals attached before; the rest
    // left out, with why (in order, as a build warns). A build and the checks without one decide here alike.
    private static (List<Mmio.Svd.SvdPeripheral> Attached, List<(Mmio.Svd.SvdPeripheral Peripheral, Mmio.Svd.SvdWarning Why)> LeftOut) Attachable(DeviceDescription device, Mmio.Svd.SvdDevice svd,
        IEnumerable<(ulong Start, ulong Size, string Name)> models, List<Mmio.Svd.SvdWarning>? trimmed = null)
    {
        var taken = models.ToList();
        var attached = new List<Mmio.Svd.SvdPeripheral>();
        var leftOut = new List<(Mmio.Svd.SvdPeripheral, Mmio.Svd.SvdWarning)>();
        foreach (var p in svd.WithBlocksTrimmedToRegisters(trimmed ?? []))
        {
            if (device.AddressIndex.MmioRegionHolding(p.BaseAddress, p.Size) is null)
            {
                leftOut.Add((p, LeftOut(svd, p, NotInMmio)));
            }
            else if (taken.FirstOrDefault(t => p.BaseAddress - t.Start < t.Size || t.Start - p.BaseAddress < p.Size) is { Name: { } other })   // overlap, no wrap at 2^64
            {
                leftOut.Add((p, LeftOut(svd, p, Served(other))));
            }
            else
            {
                taken.Add((p.BaseAddress, p.Size, p.Name));
                attached.Add(p);
            }
        }
        return (attached, leftOut);
    }

    // The models a build would attach, without building: those the device declares, and the architectural ones a machine adds
    // itself (a Cortex-M's SCS), which the description lacks: the caller names them, since this layer knows no machine.
    private static IEnumerable<(ulong Start, ulong Size, string Name)> DeclaredModels(DeviceDescription device, IReadOnlyList<DevicePeripheral>? machineModels) =>
        device.Peripherals.Concat(machineModels ?? []).Where(p => p.Model is not null).Select(p => (p.Base, p.Size, p.Name));

    /// <summary>
    /// The device's [[rules]] checked against the registers of <paramref name="svd"/> without building the device (as
    /// <c>memgate validate</c> does): one error per rule naming a peripheral, register or field the SVD lacks, located in
    /// the device file, or a peripheral the build leaves out (outside every peripheral (mmio) region, or where a model the device
    /// declares serves its addresses).
    /// Building the device checks the same against the register blocks it attached.
    /// </summary>
    /// <param name="device">The device, as read from its file (its rules' errors are located there).</param>
    /// <param name="svd">The device's SVD file; null when it names none, which rules are an error for.</param>
    /// <param name="machineModels">Models the machine adds that the file does not declare (<c>FirmwareMachine.ArchitecturalPeripherals</c>).</param>
    public static IReadOnlyList<DeviceDiagnostic> CheckRules(DeviceDescription device, Mmio.Svd.SvdDevice? svd, IReadOnlyList<DevicePeripheral>? machineModels = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (svd is null)
        {
            return device.Rules.Count == 0 ? [] : [new DeviceDiagnostic(DiagnosticSeverity.Error, "rules",
                "the device has rules for registers but names no SVD file ([device] svd) that defines them") { Location = device.LocationOf("rules") }];
        }
        // A rule acts on an attached peripheral's registers: one the build leaves out has none (by name, the last one wins, as there).
        var (attached, leftOut) = Attachable(device, svd, DeclaredModels(device, machineModels));
        var leftOutByName = new Dictionary<string, Mmio.Svd.SvdWarning>(StringComparer.OrdinalIgnoreCase);
        foreach (var (p, why) in leftOut)
        {
            leftOutByName[p.Name] = why;
        }
        var registers = new Dictionary<string, IReadOnlyList<RegisterDefinition>>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in attached)
        {
            registers[p.Name] = p.Registers;
        }
        return RuleProblems(device, name => registers.GetValueOrDefault(name), name => leftOutByName.TryGetValue(name, out var left) ? $"SVD peripheral '{name}' {left.Message}" : $"the SVD has no peripheral '{name}'");
    }

    // A register and field each rule names (and the one it follows) must be among the registers found under the
    // peripheral's name; each problem points at its rule.
    private static List<DeviceDiagnostic> RuleProblems(DeviceDescription device, Func<string, IReadOnlyList<RegisterDefinition>?> registersOf, Func<string, string> noPeripheral)
    {
        var problems = new List<DeviceDiagnostic>();
        var firstFor = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);   // field → the rule that took it
        for (int i = 0; i < device.Rules.Count; i++)
        {
            var rule = device.Rules[i];
            string named = $"rule '{rule.Register}.{rule.Field}'";
            if (!firstFor.TryAdd($"{rule.Register}.{rule.Field}", i))
            {
                // Two rules for one field would each claim its reads: which one acts must not depend on their order.
                problems.Add(new DeviceDiagnostic(DiagnosticSeverity.Error, $"rules[{i}].field", $"{named}: rules[{firstFor[$"{rule.Register}.{rule.Field}"]}] is a rule for this field already; a field takes one rule")
                    { Location = device.LocationOf($"rules[{i}].field") ?? device.LocationOf($"rules[{i}]") });
                continue;
            }
            Check($"rules[{i}].register", named, rule.Register, rule.Field, $"rules[{i}].field");
            if (rule.Follows is { } follows)
            {
                int dot = follows.LastIndexOf('.');
                Check($"rules[{i}].follows", $"{named} follows '{follows}'", follows[..dot], follows[(dot + 1)..], $"rules[{i}].follows");
            }
        }
        return problems;

        // A missing field is the fault of the key naming it (fieldAt): the rule's field, or the register.field it follows.
        void Check(string at, string what, string register, string field, string fieldAt)
        {
            string[] parts = register.Split('.');
            var registers = registersOf(parts[0]);
            // As a run applies rules: to each register of the name and each field of the name, ignoring case.
            var named = registers?.Where(r => string.Equals(r.Name, parts[1], StringComparison.OrdinalIgnoreCase)).ToList();
            (string Key, string Problem)? found = registers is null ? (at, noPeripheral(parts[0]))
                : named!.Count == 0 ? (at, $"peripheral '{parts[0]}' has no register '{parts[1]}'")
                : !named.Any(r => r.Fields.Any(f => string.Equals(f.Name, field, StringComparison.OrdinalIgnoreCase)))
                    ? (fieldAt, $"register '{register}' has no field '{field}' ({(named.Any(r => r.Fields.Count > 0) ? $"fields: {string.Join(", ", named.SelectMany(r => r.Fields).Select(f => f.Name).Distinct())}" : "it has no fields")})")
                : null;
            if (found is { } problem)
            {
                problems.Add(new DeviceDiagnostic(DiagnosticSeverity.Error, problem.Key, $"{what}: {problem.Problem}") { Location = device.LocationOf(problem.Key) });
            }
        }
    }

    // A rule turns into an OnRead hook on the field: constant, or the live value of another field.
    private static RegisterDefinition ApplyRules(RegisterDefinition definition, string peripheral, Dictionary<string, List<DeviceRule>> rules,
        Dictionary<string, RegisterBlock> blocks)
    {
        if (!rules.TryGetValue($"{peripheral}.{definition.Name}", out var mine))
        {
            return definition;
        }
        var fields = definition.Fields.Select(field =>
        {
            var rule = mine.FirstOrDefault(r => string.Equals(r.Field, field.Name, StringComparison.OrdinalIgnoreCase));
            if (rule is null)
            {
                return field;
            }
            ulong all = (field.Mask >> field.BitOffset);
            if (rule.Reads is { } reads)
            {
                ulong constant = reads == "set" ? all : 0;
                return field with { OnRead = _ => constant };
            }
            string[] parts = rule.Follows!.Split('.');
            return field with
            {
                // Looked up at read time: the followed peripheral may be attached after this one.
                // Names as the checks match them (CheckRules): ignoring case; the register is peeked by its own name.
                OnRead = _ =>
                {
                    var source = blocks[parts[0]];
                    var sourceRegister = source.AllRegisters.First(r => string.Equals(r.Name, parts[1], StringComparison.OrdinalIgnoreCase)
                        && r.Fields.Any(f => string.Equals(f.Name, parts[2], StringComparison.OrdinalIgnoreCase)));
                    var sourceField = sourceRegister.Fields.First(f => string.Equals(f.Name, parts[2], StringComparison.OrdinalIgnoreCase));
                    return ((source.Peek(sourceRegister.Name) & sourceField.Mask) >> sourceField.BitOffset) & all;
                },
            };
        }).ToList();
        return definition with { Fields = fields };
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

    private static GuestRegion ToGuestRegion(DeviceDescription device, DeviceRegion region, GuestMemory memory, Dictionary<string, GuestMemory> spaces,
        ICpuRegisterFile registers, Dictionary<string, PeripheralBus> buses, MmioTrace? trace)
    {
        IMmioHandler Traced(IMmioHandler handler) => trace is null ? handler : new TracingMmioHandler(handler, trace, region.Name, region.Start);
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
                return new GuestRegion(region.Name, start, region.Size, region.Permissions, RegionKind.Mmio, space, Traced(window));
            case DeviceRegionType.Mmio:
                return new GuestRegion(region.Name, start, region.Size, region.Permissions, RegionKind.Mmio, space, Traced(buses[region.Name]));
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

    private static void LoadContents(DeviceDescription device, int index, GuestMemory memory, string path)
    {
        var region = device.Regions[index];
        byte[] bytes;
        try
        {
            bytes = InputFile.ReadAllBytes(path, $"region '{region.Name}': initial contents file");
        }
        catch (Exception e) when (e is FileNotFoundException or MemGateException or IOException or UnauthorizedAccessException)
        {
            // Said at the device file's key that names it, as validate says it.
            string key = $"regions[{index}].file";
            throw new DeviceDescriptionException(path, [new DeviceDiagnostic(DiagnosticSeverity.Error, key, e.Message) { Location = device.LocationOf(key) }]);
        }
        if (CheckContents(region, path, bytes.LongLength) is { } problem)
        {
            // The device file's fault, at the key that says it (file_offset, or file itself), as validate reports it.
            string field = $"regions[{index}].{problem.Key}";
            throw new DeviceDescriptionException(path, [new DeviceDiagnostic(DiagnosticSeverity.Error, field, problem.Message)
            {
                Location = device.LocationOf(field) ?? device.LocationOf($"regions[{index}].file"),
            }]);
        }
        var contents = bytes.AsSpan((int)region.FileOffset);
        if (region.FileSize is { } take && take < (ulong)contents.Length)
        {
            contents = contents[..(int)take];   // a file shorter than file_size gives what it has, as Fuzzware reads it
        }
        memory.Debug.Write(new GuestAddress(region.Start + region.LoadOffset), contents);
    }

    /// <summary>
    /// What keeps a region's initial contents file of <paramref name="fileLength"/> bytes out of it (an offset past
    /// the file's end, more bytes than the region holds after its load offset), or null when it fits; what a load
    /// would refuse, for a check without loading (<c>memgate validate</c>).
    /// </summary>
    /// <returns>The region's key at fault (<c>file_offset</c> or <c>file</c>) and what is wrong.</returns>
    public static (string Key, string Message)? CheckContents(DeviceRegion region, string path, long fileLength)
    {
        ArgumentNullException.ThrowIfNull(region);
        if (region.FileOffset > (ulong)fileLength)
        {
            return ("file_offset", $"region '{region.Name}': file offset 0x{region.FileOffset:X} is past the end of '{path}' (0x{fileLength:X} bytes)");
        }
        ulong length = (ulong)fileLength - region.FileOffset;
        if (region.FileSize is { } take && take < length)
        {
            length = take;
        }
        if (region.LoadOffset > region.Size || length > region.Size - region.LoadOffset)
        {
            return ("file", $"region '{region.Name}' [0x{region.Start:X}, size 0x{region.Size:X}]: file '{path}' from offset 0x{region.FileOffset:X} has 0x{length:X} bytes, " +
                (region.LoadOffset == 0 ? "more than the region holds" : $"more than the region holds after load_offset 0x{region.LoadOffset:X}") + " (file_size takes fewer)");
        }
        return null;
    }

}
