using MemGate.Devices;
using MemGate.Memory;

namespace MemGate.Firmware;

/// <summary>
/// Whether an image can run on a device's CPU, judged from the ELF header (<see cref="ImageArchitecture"/>)
/// against the device's <c>architecture</c>, <c>cpu</c> and byte order: e_machine, EI_CLASS, EI_DATA, and
/// the flags that change what the CPU must have (ARM hard-float ABI needs an FPU; RISC-V float ABIs need
/// F/D/Q; a 32-register image cannot run on an E core). Without this an RV32 image "runs" on RV64 and exits
/// after a few instructions with a meaningless code. Images without a header (HEX, S-record, raw) and
/// devices whose strings name no known family pass: there is nothing to compare.
/// </summary>
public static class ImageCompatibility
{
    private static readonly Lazy<List<(string Name, CpuProfile Profile, ByteOrder Order)>> Templates = new(LoadTemplates);

    /// <summary>Null when <paramref name="image"/> can run on <paramref name="device"/>; otherwise why not, naming both, and what to use instead.</summary>
    public static string? Check(FirmwareImage image, DeviceDescription device)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(device);
        if (image.Architecture is { } image32 && CpuProfile.Of(device) is null && MemoryOnlyMachine(device.Architecture) is { } machine && image32.Machine != machine)
        {
            // A device MemGate maps but cannot run (AVR, Xtensa) still says which ELF belongs on it.
            return $"{image.File} is a {image32}; device '{device.Name}' is {device.Architecture} ({device.Cpu}), which needs {Article(ImageArchitecture.NameOf(machine))} " +
                $"{ImageArchitecture.NameOf(machine)} ELF ({ImageArchitecture.ConstantOf(machine)}): a build for {device.Architecture}.";
        }
        if (image.Architecture is not { } elf || CpuProfile.Of(device) is not { } cpu
            || Problem(image.File, elf, device.Name, device.Architecture, device.Cpu, device.ByteOrder, cpu) is not { } problem)
        {
            return null;
        }
        var others = Templates.Value
            .Where(t => !string.Equals(t.Name, device.Name, StringComparison.OrdinalIgnoreCase)
                && Problem(image.File, elf, t.Name, "", "", t.Order, t.Profile) is null)
            .Select(t => t.Name)
            .ToList();
        return others.Count == 0 ? $"{problem.Text}: {problem.Fix}."
            : $"{problem.Text}: use {(others.Count == 1 ? "the " + others[0] + " device" : "a device that runs it (" + string.Join(", ", others) + ")")} or {problem.Fix}.";
    }

    private static ushort? MemoryOnlyMachine(string architecture) => architecture.ToLowerInvariant() switch
    {
        "avr" => ImageArchitecture.EmAvr,
        "xtensa" => ImageArchitecture.EmXtensa,
        _ => null,
    };

    private static (string Text, string Fix)? Problem(string file, ImageArchitecture elf, string name, string architecture, string cpuName, ByteOrder order, CpuProfile cpu)
    {
        string Device(bool withBits = false, bool withOrder = false) => $"device '{name}' runs {Describe(architecture, cpuName, withBits ? cpu.Bits : null, withOrder ? order : null)}";
        string arch = architecture.Length > 0 ? architecture : cpuName;
        if (elf.Machine != cpu.Machine)
        {
            return ($"{file} is a {elf}; {Device()}, which needs {Article(ImageArchitecture.NameOf(cpu.Machine))} {ImageArchitecture.NameOf(cpu.Machine)} ELF ({ImageArchitecture.ConstantOf(cpu.Machine)})",
                $"a build for {arch}");
        }
        if (elf.ClassBits != cpu.Bits)
        {
            return ($"{file} is a {elf}; {Device(withBits: true)}", $"a {cpu.Bits}-bit build for {arch}");
        }
        if (elf.ByteOrder != order)
        {
            return ($"{file} is a {elf}; {Device(withOrder: true)}", $"a {Endian(order)} build");
        }
        if (cpu.Machine == ImageArchitecture.EmArm && cpu.HasFpu == false && (elf.Flags & ImageArchitecture.EfArmAbiFloatHard) != 0)
        {
            return ($"{file} is a {elf} for the hard-float ABI (EF_ARM_ABI_FLOAT_HARD); {Device()}, which has no FPU",
                "a soft-float build (-mfloat-abi=soft)");
        }
        if (cpu.Machine == ImageArchitecture.EmRiscV)
        {
            // An RV32E/RV64E image uses x0-x15 only and runs on any core; a full image needs the 32 registers an E core lacks.
            if (cpu.RiscVEmbedded && (elf.Flags & ImageArchitecture.EfRiscVRve) == 0)
            {
                return ($"{file} is a {elf} for 32 integer registers (no EF_RISCV_RVE); {Device()}, an E core with 16",
                    $"an RV{cpu.Bits}E build (-mabi={(cpu.Bits == 32 ? "ilp32e" : "lp64e")})");
            }
            (string abi, char extension) = (elf.Flags & ImageArchitecture.EfRiscVFloatAbi) switch
            {
                0x2 => ("single", 'f'),
                0x4 => ("double", 'd'),
                0x6 => ("quad", 'q'),
                _ => ("", '\0'),
            };
            if (extension != '\0' && !cpu.RiscVExtensions.Contains(extension, StringComparison.Ordinal))
            {
                return ($"{file} is a {elf} for the {abi}-float ABI (EF_RISCV_FLOAT_ABI_{abi.ToUpperInvariant()}); {Device()}, which has no '{extension}' extension",
                    $"a build for its floating point (-mabi={(cpu.Bits == 32 ? "ilp32" : "lp64")}{(cpu.RiscVExtensions.Contains('f', StringComparison.Ordinal) && extension != 'f' ? "f" : "")})");
            }
        }
        return null;
    }

    private static string Describe(string architecture, string cpu, int? bits, ByteOrder? order)
    {
        var details = new List<string>();
        if (cpu.Length > 0 && !string.Equals(cpu, architecture, StringComparison.OrdinalIgnoreCase))
        {
            details.Add(cpu);
        }
        if (bits is { } b)
        {
            details.Add($"{b}-bit");
        }
        if (order is { } o)
        {
            details.Add(Endian(o));
        }
        string list = string.Join(", ", details);
        return architecture.Length == 0 ? list : details.Count == 0 ? architecture : $"{architecture} ({list})";
    }

    private static string Endian(ByteOrder order) => order == ByteOrder.BigEndian ? "big-endian" : "little-endian";

    private static string Article(string word) => word.Length > 0 && "AEIOU".Contains(char.ToUpperInvariant(word[0]), StringComparison.Ordinal) ? "an" : "a";

    // The built-in templates, to suggest one that runs the image; parsed once, on the first refusal.
    private static List<(string Name, CpuProfile Profile, ByteOrder Order)> LoadTemplates()
    {
        var list = new List<(string, CpuProfile, ByteOrder)>();
        foreach (string name in DeviceTemplates.Names)
        {
            var device = DeviceTemplates.Load(name);
            if (CpuProfile.Of(device) is { } profile)
            {
                list.Add((device.Name, profile, device.ByteOrder));
            }
        }
        return list;
    }
}
