using MemGate.Memory;

namespace MemGate.Devices;

/// <summary>The rules a <see cref="DeviceDescription"/> must satisfy; every finding names its field.</summary>
internal static class DeviceValidator
{
    public static List<DeviceDiagnostic> Validate(DeviceLayout device)
    {
        var found = new List<DeviceDiagnostic>();
        void Error(string field, string message) => found.Add(new DeviceDiagnostic(DiagnosticSeverity.Error, field, message));
        void Warn(string field, string message) => found.Add(new DeviceDiagnostic(DiagnosticSeverity.Warning, field, message));

        if (string.IsNullOrWhiteSpace(device.Name))
        {
            Error("device.name", "the device needs a name");
        }
        if (!DeviceDescription.IsPowerOfTwo(device.PageSize))
        {
            Error("memory.page_size", $"page size {device.PageSize} is not a power of two");
        }

        var spaces = new Dictionary<string, DeviceAddressSpace>(StringComparer.Ordinal);
        for (int i = 0; i < device.Spaces.Count; i++)
        {
            var space = device.Spaces[i];
            if (string.IsNullOrWhiteSpace(space.Name))
            {
                Error($"spaces[{i}].name", "an address space needs a name");
            }
            else if (!spaces.TryAdd(space.Name, space))
            {
                Error($"spaces[{i}].name", $"duplicate address space name '{space.Name}'");
            }
            if (space.AddressWidth is < 8 or > 64)
            {
                Error($"spaces[{i}].width", $"address width {space.AddressWidth} is outside 8..64 bits");
            }
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var cpuRegisters = new HashSet<string>(StringComparer.OrdinalIgnoreCase);   // register names are found in any case
        for (int i = 0; i < device.Regions.Count; i++)
        {
            var r = device.Regions[i];
            string at = $"regions[{i}]";
            if (string.IsNullOrWhiteSpace(r.Name))
            {
                Error($"{at}.name", "a region needs a name");
            }
            else if (!names.TryAdd(r.Name, i))
            {
                Error($"{at}.name", $"duplicate region name '{r.Name}' (also regions[{names[r.Name]}])");
            }
            if (r.Size == 0)
            {
                Error($"{at}.size", $"region '{r.Name}' has size 0");
            }
            else if (r.Size - 1 > ulong.MaxValue - r.Start)
            {
                Error($"{at}.size", $"region '{r.Name}' at 0x{r.Start:X} with size 0x{r.Size:X} runs past the end of the 64-bit address range");
            }
            else if (spaces.TryGetValue(r.Space, out var space) && r.Last > space.MaxAddress)
            {
                Error($"{at}.guest_address", $"region '{r.Name}' [0x{r.Start:X}–0x{r.Last:X}] runs past the end of the {space.AddressWidth}-bit space '{space.Name}' (last address 0x{space.MaxAddress:X})");
            }
            if (!spaces.ContainsKey(r.Space))
            {
                Error($"{at}.space", $"region '{r.Name}' is in unknown address space '{r.Space}' (spaces: {string.Join(", ", spaces.Keys)})");
            }
            if (DeviceDescription.IsPowerOfTwo(device.PageSize) && r.Size != 0
                && (r.Start % device.PageSize != 0 || r.Size % device.PageSize != 0))
            {
                Error($"{at}.guest_address", $"region '{r.Name}' [0x{r.Start:X}, size 0x{r.Size:X}] is not aligned to the page size 0x{device.PageSize:X}");
            }
            if ((r.Permissions & ~Permissions.All) != 0)
            {
                Error($"{at}.permissions", $"region '{r.Name}' has invalid permission bits 0x{(byte)r.Permissions:X}");
            }
            if (r.Permissions == Permissions.None)
            {
                Warn($"{at}.permissions", $"region '{r.Name}' has no permissions (---): every access to it faults");
            }
            if (r.Type == DeviceRegionType.Ram && r.Permissions.HasFlag(Permissions.Execute))
            {
                Warn($"{at}.permissions", $"RAM region '{r.Name}' is executable ({PermissionsText.ToRwx(r.Permissions)})");
            }
            if (r.Type is DeviceRegionType.Rom && r.Permissions.HasFlag(Permissions.Write))
            {
                Warn($"{at}.permissions", $"ROM region '{r.Name}' is writable ({PermissionsText.ToRwx(r.Permissions)})");
            }
            if (r.RegisterLayout is not null)
            {
                if (r.Type != DeviceRegionType.Registers)
                {
                    Error($"{at}.layout", $"region '{r.Name}' is {r.Type.ToString().ToLowerInvariant()}; only registers regions have a layout");
                }
                else if (!RegisterLayout.TryParse(r.RegisterLayout, out var layout, out string? layoutError))
                {
                    Error($"{at}.layout", $"region '{r.Name}': \"{r.RegisterLayout}\": {layoutError}");
                }
                else if ((ulong)layout.Sum(x => x.SizeBytes) != r.Size)
                {
                    Error($"{at}.layout", $"region '{r.Name}' is 0x{r.Size:X} bytes but its layout \"{r.RegisterLayout}\" covers {layout.Sum(x => x.SizeBytes)}");
                }
                else
                {
                    foreach (var register in layout)
                    {
                        if (!cpuRegisters.Add(register.Name))
                        {
                            Error($"{at}.layout", $"CPU register '{register.Name}' is mapped by two registers regions");
                        }
                    }
                }
            }
            if (r.Type != DeviceRegionType.Alias && r.AliasOf is not null)
            {
                Error($"{at}.alias_of", $"region '{r.Name}' is {r.Type.ToString().ToLowerInvariant()}, not an alias, but names alias target '{r.AliasOf}'");
            }
        }

        for (int i = 0; i < device.Regions.Count; i++)
        {
            var r = device.Regions[i];
            if (r.Type != DeviceRegionType.Alias)
            {
                continue;
            }
            string at = $"regions[{i}].alias_of";
            if (r.AliasOf is null)
            {
                Error(at, $"alias region '{r.Name}' does not name its target");
                continue;
            }
            var target = device.FindRegion(r.AliasOf);
            if (target is null)
            {
                Error(at, $"alias region '{r.Name}' refers to missing region '{r.AliasOf}'");
                continue;
            }
            if (target.Type is DeviceRegionType.Alias)
            {
                Error(at, $"alias region '{r.Name}' refers to '{target.Name}', which is itself an alias; name the region it views");
            }
            else if (r.AliasMode == AliasMode.Mirror && r.Size > target.Size)
            {
                Error($"regions[{i}].size", $"mirror '{r.Name}' (0x{r.Size:X} bytes) is larger than its target '{target.Name}' (0x{target.Size:X} bytes)");
            }
            else if (r.AliasMode == AliasMode.BitBand && r.Size % 32 != 0)
            {
                // Each 32-byte stretch of the alias is one target byte; the covered range starts at the target.
                Error($"regions[{i}].size", $"bit-band alias '{r.Name}' size 0x{r.Size:X} is not a multiple of 32 (one target byte per 32 alias bytes)");
            }
        }

        foreach (var o in device.Index.RegionOverlaps)
        {
            Error($"regions[{o.Index}].guest_address", Overlap("region", o));
        }
        foreach (var o in device.Index.PeripheralOverlaps)
        {
            Error($"peripherals[{o.Index}].base", Overlap("peripheral", o));
        }

        var peripheralNames = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < device.Peripherals.Count; i++)
        {
            var p = device.Peripherals[i];
            string at = $"peripherals[{i}]";
            if (string.IsNullOrWhiteSpace(p.Name))
            {
                Error($"{at}.name", "a peripheral needs a name");
            }
            else if (!peripheralNames.TryAdd(p.Name, i))
            {
                Error($"{at}.name", $"duplicate peripheral name '{p.Name}' (also peripherals[{peripheralNames[p.Name]}])");
            }
            if (p.Size == 0 || p.Size - 1 > ulong.MaxValue - p.Base)
            {
                Error($"{at}.size", $"peripheral '{p.Name}' at 0x{p.Base:X} has size 0x{p.Size:X}");
                continue;
            }
            if (!spaces.ContainsKey(p.Space))
            {
                Error($"{at}.space", $"peripheral '{p.Name}' is in unknown address space '{p.Space}'");
                continue;
            }
            if (!device.Index.IsInsidePeripheralRegion(p))
            {
                Warn($"{at}.base", $"peripheral '{p.Name}' [0x{p.Base:X}–0x{p.Last:X}] is not inside any mmio region of space '{p.Space}'");
            }
        }
        if (device.Spaces.Count > 0)
        {
            void CheckBoot(string field, ulong? address, bool executable)
            {
                if (address is not { } a)
                {
                    return;
                }
                // Thumb entry points carry bit 0; the instruction is at the even address.
                var region = device.RegionAt(executable ? a & ~1UL : a, device.Spaces[0].Name);
                if (region is null)
                {
                    Error(field, $"0x{a:X} is not inside any region of space '{device.Spaces[0].Name}'");
                }
                else if (executable && !region.Permissions.HasFlag(Permissions.Execute))
                {
                    Warn(field, $"0x{a:X} is in region '{region.Name}', which is not executable ({PermissionsText.ToRwx(region.Permissions)})");
                }
            }
            CheckBoot("boot.entry_point", device.Boot.EntryPoint, executable: true);
            CheckBoot("boot.initial_sp", device.Boot.InitialStackPointer is { } sp && sp > 0 ? sp - 1 : null, executable: false);
            CheckBoot("boot.vector_table", device.Boot.VectorTable, executable: false);
        }
        for (int i = 0; i < device.Rules.Count; i++)
        {
            var rule = device.Rules[i];
            if (rule.Register.Split('.').Length != 2 || rule.Register.Split('.').Any(string.IsNullOrWhiteSpace))
            {
                Error($"rules[{i}].register", $"'{rule.Register}' is not PERIPHERAL.REGISTER");
            }
            if (string.IsNullOrWhiteSpace(rule.Field))
            {
                Error($"rules[{i}].field", "a rule names the field it is about");
            }
            if ((rule.Reads is null) == (rule.Follows is null))
            {
                Error($"rules[{i}]", "give exactly one of reads (\"set\" or \"clear\") and follows (PERIPHERAL.REGISTER.FIELD)");
            }
            else if (rule.Reads is not null and not ("set" or "clear"))
            {
                Error($"rules[{i}].reads", $"\"{rule.Reads}\": use \"set\" or \"clear\"");
            }
            else if (rule.Follows is not null && rule.Follows.Split('.').Length != 3)
            {
                Error($"rules[{i}].follows", $"'{rule.Follows}' is not PERIPHERAL.REGISTER.FIELD");
            }
        }
        for (int i = 0; i < device.Symbols.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(device.Symbols[i].Name))
            {
                Error($"symbols[{i}].name", "a symbol needs a name");
            }
        }
        return found;
    }

    private static string Overlap(string what, DeviceOverlap o) =>
        $"{what} '{o.Name}' [0x{o.Start:X}–0x{o.Last:X}] overlaps {what} '{o.OtherName}' [0x{o.OtherStart:X}–0x{o.OtherLast:X}] in space '{o.Space}' at [0x{o.Start:X}–0x{o.SharedLast:X}]";
}
