using MemGate.Devices;

namespace MemGate.Firmware;

/// <summary>
/// What a device's <c>architecture</c> and <c>cpu</c> strings imply an ELF must say: e_machine, class,
/// and for ARM and RISC-V whether hard-float, double-float or a 32-register base can run. Null members
/// mean "not known from the strings": the check then lets the image through rather than guess.
/// </summary>
internal sealed record CpuProfile(ushort Machine, int Bits, bool? HasFpu, string RiscVExtensions, bool RiscVEmbedded)
{
    // Cortex-M cores that never have an FPU; the others (M4, M7, M33, M55, …) may, and the device file cannot say.
    private static readonly HashSet<string> CortexMWithoutFpu = new(StringComparer.Ordinal)
    {
        "cortex-m0", "cortex-m0+", "cortex-m0plus", "cortex-m1", "cortex-m3", "cortex-m23",
    };

    private static readonly HashSet<string> Aarch64Cores = new(StringComparer.Ordinal)
    {
        "cortex-a35", "cortex-a53", "cortex-a55", "cortex-a57", "cortex-a72", "cortex-a73", "cortex-a76", "neoverse-n1",
    };

    /// <summary>
    /// The profile of <paramref name="device"/>, or null when its strings name no CPU family MemGate runs
    /// (AVR and Xtensa too: there the missing machine is the better message).
    /// </summary>
    public static CpuProfile? Of(DeviceDescription device)
    {
        string arch = device.Architecture.Trim().ToLowerInvariant();
        string cpu = device.Cpu.Trim().ToLowerInvariant();
        string? archFamily = ArchitectureFamily(arch);
        string? cpuFamily = CoreFamily(cpu);
        if (archFamily == RiscV && arch.Length > 4)
        {
            // "rv64gc_zicsr": the base letter (i, e or g), then single-letter extensions up to the first '_'.
            string letters = arch[4..].Split('_')[0];
            string extensions = letters.Replace("g", "imafd", StringComparison.Ordinal);
            return new CpuProfile(ImageArchitecture.EmRiscV, arch[2] == '3' ? 32 : 64, null, extensions, letters.StartsWith('e'));
        }
        if (cpuFamily == MProfile || archFamily == MProfile)
        {
            bool? fpu = CortexMWithoutFpu.Contains(cpu) ? false
                : cpuFamily == MProfile ? null
                : arch is "armv6-m" or "armv7-m" or "armv8-m.base" ? false : null;   // FPv4 came with armv7e-m
            return new CpuProfile(ImageArchitecture.EmArm, 32, fpu, "", false);
        }
        if (archFamily == Aarch64 || cpuFamily == Aarch64)
        {
            return new CpuProfile(ImageArchitecture.EmAarch64, 64, null, "", false);
        }
        if (arch.StartsWith("arm", StringComparison.Ordinal))
        {
            return new CpuProfile(ImageArchitecture.EmArm, 32, null, "", false);
        }
        return null;
    }

    /// <summary>
    /// Why <paramref name="architecture"/> and <paramref name="cpu"/> cannot both be right (a RISC-V ISA for an Arm core,
    /// an A-profile architecture for a Cortex-M), or null when they agree or either is not known here.
    /// </summary>
    public static string? Contradiction(string architecture, string cpu)
    {
        string? archFamily = ArchitectureFamily(architecture.Trim().ToLowerInvariant());
        string? cpuFamily = CoreFamily(cpu.Trim().ToLowerInvariant());
        return archFamily is null || cpuFamily is null || archFamily == cpuFamily ? null
            : $"architecture '{architecture}' is {archFamily}, but cpu '{cpu}' is an {cpuFamily} core: correct one of them (a machine is picked from both)";
    }

    private const string RiscV = "RISC-V";
    private const string MProfile = "Arm M-profile";
    private const string Aarch64 = "AArch64";

    // The family an architecture string (lower case) names, or null when it names none of these.
    private static string? ArchitectureFamily(string arch) =>
        arch.StartsWith("rv32", StringComparison.Ordinal) || arch.StartsWith("rv64", StringComparison.Ordinal) ? RiscV
        : arch.StartsWith("armv", StringComparison.Ordinal) && arch.Contains("-m", StringComparison.Ordinal) ? MProfile
        : arch.StartsWith("armv8", StringComparison.Ordinal) || arch.StartsWith("armv9", StringComparison.Ordinal) || arch is "aarch64" or "arm64" ? Aarch64
        : null;

    // The family a core name (lower case) belongs to, or null when it is not one known here.
    private static string? CoreFamily(string cpu) =>
        cpu.StartsWith("cortex-m", StringComparison.Ordinal) ? MProfile : Aarch64Cores.Contains(cpu) ? Aarch64 : null;
}
