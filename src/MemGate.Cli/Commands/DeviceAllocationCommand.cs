using System.CommandLine;
using System.Text.Json;
using MemGate.Devices;
using MemGate.Memory;

namespace MemGate.Cli.Commands;

/// <summary>
/// <c>memgate template NAME</c> and <c>memgate config FILE</c> (the seed's two commands): load a device,
/// and with <c>--allocate</c> back it with host memory; <c>--print</c> prints the guest → host table and resident memory.
/// </summary>
internal static class DeviceAllocationCommand
{
    // The device's own word for a region ("alias of Flash", "registers"), not the memory's (mmio).
    private static string KindOf(DeviceDescription device, string region) => device.FindRegion(region) is { } r
        ? r.Type == DeviceRegionType.Alias ? $"alias of {r.AliasOf}" : r.Type.ToString().ToLowerInvariant()
        : "";

    public static Command Create(string name, string what, TextWriter output, TextWriter error)
    {
        var device = new Argument<string>(name == "template" ? "name" : "file") { Description = what };
        var allocate = new Option<bool>("--allocate") { Description = "Back every region with host memory (mmap) and load initial contents." };
        var print = new Option<bool>("--print") { Description = "With --allocate: print the guest → host translation table and resident memory." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of tables." };
        var command = new Command(name, name == "template"
            ? "Load a built-in device template; --allocate backs it with memory, --print shows the translation table."
            : "Load a device file (TOML, YAML or JSON); --allocate backs it with memory, --print shows the translation table.")
        {
            device, allocate, print, json,
        };
        command.SetAction(parse => CommandErrors.Run(name, parse, error, () =>
        {
            string argument = parse.GetRequiredValue(device);
            if (name == "template" && File.Exists(argument) && !DeviceTemplates.Exists(argument))
            {
                throw new CommandUsageException($"'{argument}' is a device file; 'memgate template' takes a template name (see 'memgate list'): 'memgate config {argument}' reads the file.");
            }
            var (description, baseDirectory) = name == "template"
                ? (DeviceTemplates.Load(argument), Directory.GetCurrentDirectory())
                : DeviceSource.Load(argument, error);
            bool asJson = parse.GetValue(json);
            if (!parse.GetValue(allocate))
            {
                if (asJson)
                {
                    output.WriteLine(JsonSerializer.Serialize(ShowCommand.Report(description), CliJsonContext.Output.DeviceReport));
                }
                else
                {
                    output.WriteLine($"{description.Name}: {description.Regions.Count} regions in {description.Spaces.Count} address space(s), valid. Add --allocate --print to back it with memory.");
                }
                return CliApp.Success;
            }
            using var memory = DeviceMemory.Allocate(description, new DeviceMemoryOptions { BaseDirectory = baseDirectory, Log = error.WriteLine });
            foreach (string warning in memory.Warnings)
            {
                error.WriteLine($"warning: {warning}");
            }
            if (asJson)
            {
                var spaces = description.Spaces.Select(s => new SpaceAllocation(s.Name, AllocateCommand.Report(memory[s.Name]))).ToList();
                output.WriteLine(JsonSerializer.Serialize(new DeviceAllocationReport(description.Name, memory.ResidentBytes(), spaces), CliJsonContext.Output.DeviceAllocationReport));
                return CliApp.Success;
            }
            if (parse.GetValue(print))
            {
                foreach (var space in description.Spaces)
                {
                    if (description.Spaces.Count > 1)
                    {
                        output.WriteLine($"Address space '{space.Name}':");
                    }
                    AllocateCommand.Print(memory[space.Name], json: false, output, region => KindOf(description, region));
                }
            }
            ulong backed = description.Regions.Where(r => r.Type is DeviceRegionType.Ram or DeviceRegionType.Flash or DeviceRegionType.Rom or DeviceRegionType.Storage)
                .Aggregate(0UL, (sum, r) => sum + r.Size);
            output.WriteLine($"{description.Name}: allocated {description.Regions.Count} regions, {ByteSize.Human(backed)} of host memory reserved, {ByteSize.Human(memory.ResidentBytes())} resident.");
            if (memory.Peripherals.Count > 0)
            {
                output.WriteLine($"Register blocks from {description.Svd}: {string.Join(", ", memory.Peripherals.Keys.Order(StringComparer.Ordinal))}.");
            }
            return CliApp.Success;
        }));
        return command;
    }
}
