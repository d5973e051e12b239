using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MemGate.Devices;
using MemGate.Emulation;
using MemGate.Memory;

namespace MemGate.Cli.Commands;

/// <summary>
/// <c>memgate run --dump-state</c> and <c>--dump-memory REGION:FILE</c>: the machine's state (CPU registers,
/// interrupt controller, every register block) on stderr when the run ends or faults, as a table or one JSON
/// line; a region's bytes to a file at the end.
/// </summary>
internal sealed class RunStateDump
{
    private readonly bool _state;
    private readonly List<(string Spec, string Region, string File)> _memory;

    private RunStateDump(bool state, List<(string, string, string)> memory)
    {
        _state = state;
        _memory = memory;
    }

    /// <summary>The options this adds to <c>run</c>.</summary>
    internal sealed record Options(Option<bool> State, Option<string[]> Memory);

    /// <summary>Adds <c>--dump-state</c> and <c>--dump-memory</c> to <paramref name="command"/>.</summary>
    public static Options AddOptions(Command command)
    {
        var state = new Option<bool>("--dump-state")
        {
            Description = "When the run ends (or faults), print the CPU registers, the interrupt controller's state and every peripheral register on stderr (one JSON line with --json).",
        };
        var memory = new Option<string[]>("--dump-memory")
        {
            HelpName = "REGION:FILE",
            Description = "REGION:FILE: when the run ends (or faults), write that region's bytes (a RAM, flash or ROM region of the device, by name) to FILE. May be given more than once.",
            AllowMultipleArgumentsPerToken = false,
        };
        command.Add(state);
        command.Add(memory);
        return new Options(state, memory);
    }

    /// <summary>Reads and checks the options against the device (region names; files are written at the end).</summary>
    /// <exception cref="CommandInputException">A malformed <c>--dump-memory</c>, or a region the device lacks or that has no memory.</exception>
    public static RunStateDump Open(ParseResult parse, Options options, DeviceDescription device)
    {
        var memory = new List<(string, string, string)>();
        foreach (string spec in parse.GetValue(options.Memory) ?? [])
        {
            int colon = spec.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == spec.Length - 1)
            {
                throw new CommandUsageException($"--dump-memory {spec}: give REGION:FILE (e.g. SRAM:sram.bin).");
            }
            string name = spec[..colon];
            string file = spec[(colon + 1)..];
            var region = device.Regions.FirstOrDefault(r => r.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (region is null)
            {
                var names = device.Regions.Where(r => HoldsMemory(device, r)).Select(r => r.Name).ToList();
                throw new CommandInputException($"--dump-memory {spec}: device '{device.Name}' has no region '{name}'; its memory regions: {string.Join(", ", names)}.{NameSuggestion.DidYouMean(name, names)}");
            }
            if (!HoldsMemory(device, region))
            {
                string what = region.Type is DeviceRegionType.Alias ? $"is an alias of peripheral registers ('{region.AliasOf}')" : "holds peripheral registers";
                throw new CommandInputException($"--dump-memory {spec}: region '{region.Name}' {what}, not memory (--dump-state shows them).");
            }
            OutputFile.CheckReplaceable(file);
            memory.Add((spec, region.Name, file));
        }
        return new RunStateDump(parse.GetValue(options.State), memory);
    }

    // Memory, not peripheral registers: neither an MMIO or register region nor an alias of one (a bit-band alias of the
    // peripherals reads through them).
    private static bool HoldsMemory(DeviceDescription device, DeviceRegion region)
    {
        for (int hops = 0; region.Type == DeviceRegionType.Alias && hops < device.Regions.Count; hops++)
        {
            if (device.Regions.FirstOrDefault(r => r.Name.Equals(region.AliasOf, StringComparison.OrdinalIgnoreCase)) is not { } target)
            {
                return false;
            }
            region = target;
        }
        return region.Type is not (DeviceRegionType.Mmio or DeviceRegionType.Registers or DeviceRegionType.Alias);
    }

    /// <summary>Prints the state and writes the memory files the options ask for (at the end of the run, or at its fault).</summary>
    public void Write(FirmwareMachine machine, TextWriter error, bool json)
    {
        if (_state)
        {
            var state = machine.CaptureState();
            error.WriteLine(json ? JsonSerializer.Serialize(ToJson(state), RunStateJsonContext.Output.StateReport) : ToText(state));
        }
        foreach (var (spec, name, file) in _memory)
        {
            var region = machine.Memory.Main.Regions.FirstOrDefault(r => r.Name == name)
                ?? throw new CommandInputException($"--dump-memory {spec}: region '{name}' is not in the device's main address space.");
            OutputFile.Write(file, stream => Copy(machine.Memory.Main, region, stream));
        }
    }

    // In pieces: a region may be gigabytes (the virt boards' DRAM).
    private static void Copy(GuestMemory memory, GuestRegion region, Stream stream)
    {
        var buffer = new byte[1 << 20];
        for (ulong done = 0; done < region.Size;)
        {
            int part = (int)Math.Min((ulong)buffer.Length, region.Size - done);
            memory.Debug.Read(new GuestAddress(region.Start.Value + done), buffer.AsSpan(0, part));
            stream.Write(buffer, 0, part);
            done += (ulong)part;
        }
    }

    /// <summary>The state as text: registers four to a line, the controller on one line, a table of peripheral registers.</summary>
    internal static string ToText(MachineState state)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"memgate run: state of {state.Device} ({state.Cpu}) after {RunCommand.Instructions(state.Instructions)}\n");
        text.Append("registers:\n");
        int width = state.Registers.Max(r => r.Name.Length);
        for (int i = 0; i < state.Registers.Count; i += 4)
        {
            var line = state.Registers.Skip(i).Take(4).Select(r => $"{r.Name.PadLeft(width)} {Hex(r.Value, r.Bytes)}");
            text.Append("  ").Append(string.Join("   ", line)).Append('\n');
        }
        if (state.Interrupts is { } interrupts)
        {
            static string List(IReadOnlyList<int> numbers) => numbers.Count == 0 ? "none" : string.Join(' ', numbers);
            text.Append(CultureInfo.InvariantCulture, $"interrupts ({interrupts.Controller}): current {(interrupts.Current is { } c ? c.ToString(CultureInfo.InvariantCulture) : "none")}; ")
                .Append(CultureInfo.InvariantCulture, $"enabled {List(interrupts.Enabled)}; pending {List(interrupts.Pending)}; active {List(interrupts.Active)}\n");
        }
        text.Append("peripherals (stored register values):\n");
        int nameWidth = state.Peripherals.SelectMany(p => p.Registers.Select(r => p.Name.Length + 1 + r.Name.Length)).DefaultIfEmpty(0).Max();
        foreach (var peripheral in state.Peripherals)
        {
            foreach (var register in peripheral.Registers)
            {
                text.Append("  ").Append($"{peripheral.Name}.{register.Name}".PadRight(nameWidth))
                    .Append(CultureInfo.InvariantCulture, $"  0x{register.Address:X8}  {Hex(register.Value, register.Bytes)}\n");
            }
        }
        return text.ToString().TrimEnd('\n');
    }

    private static string Hex(ulong value, int bytes) => "0x" + value.ToString($"X{Math.Max(bytes, 1) * 2}", CultureInfo.InvariantCulture);

    private static StateReport ToJson(MachineState state) => new(state.Device, state.Cpu, state.Instructions,
        state.Registers.ToDictionary(r => r.Name, r => r.Value),
        state.Interrupts is { } i ? new InterruptReport(i.Controller, i.Current, [.. i.Enabled], [.. i.Pending], [.. i.Active]) : null,
        [.. state.Peripherals.Select(p => new PeripheralReport(p.Name, p.Base, p.Registers.ToDictionary(r => r.Name, r => r.Value)))]);
}

/// <summary><c>--dump-state --json</c>: one object; registers by name, numbers as JSON numbers.</summary>
internal sealed record StateReport(string Device, string Cpu, ulong Instructions, Dictionary<string, ulong> Registers, InterruptReport? Interrupts, List<PeripheralReport> Peripherals);

/// <summary>The interrupt controller in a <see cref="StateReport"/>.</summary>
internal sealed record InterruptReport(string Controller, int? Current, List<int> Enabled, List<int> Pending, List<int> Active);

/// <summary>A register block in a <see cref="StateReport"/>.</summary>
internal sealed record PeripheralReport(string Name, ulong Base, Dictionary<string, ulong> Registers);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]   // as every --json: no value, no field
[JsonSerializable(typeof(StateReport))]
internal sealed partial class RunStateJsonContext : JsonSerializerContext
{
    /// <summary>The context to write with: <see cref="CliJson.Readable"/> options.</summary>
    public static RunStateJsonContext Output => s_output ??= new(CliJson.Readable(Default.Options));

    private static RunStateJsonContext? s_output;
}
