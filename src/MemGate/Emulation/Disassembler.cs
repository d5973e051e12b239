using MemGate.Devices;
using MemGate.Native;

namespace MemGate.Emulation;

/// <summary>
/// Turns a device's instructions into text for traces, with the Capstone library when this machine has one
/// (Debian's <c>libcapstone4</c>: Arm Thumb and AArch64; <c>libcapstone5</c> adds RISC-V); <see cref="Create"/>
/// returns null otherwise, and traces show the raw bytes.
/// </summary>
/// <example>
/// <code>
/// using var disassembler = Disassembler.Create(DeviceTemplates.Load("STM32F103"));
/// string? text = disassembler?.Disassemble([0x02, 0x4B], 0x0800_0040);   // "ldr r3, [pc, #8]"
/// </code>
/// </example>
public sealed class Disassembler : IDisposable
{
    private readonly CapstoneHandle _handle;

    private Disassembler(CapstoneHandle handle) => _handle = handle;

    /// <summary>A disassembler for <paramref name="device"/>'s CPU, or null when no library here can decode it.</summary>
    public static Disassembler? Create(DeviceDescription device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (Capstone.Library is not { } library)
        {
            return null;
        }
        string cpu = device.Cpu.ToLowerInvariant();
        string architecture = device.Architecture.ToLowerInvariant();
        (int Arch, int Mode)? target = cpu switch
        {
            "cortex-m3" or "cortex-m4" => (Capstone.ArchArm, Capstone.ModeThumb | Capstone.ModeMClass),
            "cortex-a53" => (Capstone.ArchArm64, 0),
            _ when architecture.StartsWith("rv32", StringComparison.Ordinal) => (Capstone.ArchRiscv, Capstone.ModeRiscv32 | Capstone.ModeRiscvCompressed),
            _ when architecture.StartsWith("rv64", StringComparison.Ordinal) => (Capstone.ArchRiscv, Capstone.ModeRiscv64 | Capstone.ModeRiscvCompressed),
            _ => null,
        };
        return target is { } t && CapstoneHandle.Open(library, t.Arch, t.Mode) is { } handle ? new Disassembler(handle) : null;
    }

    /// <summary>The instruction at the start of <paramref name="code"/> (at guest <paramref name="address"/>) as text, or null when it does not decode.</summary>
    public string? Disassemble(ReadOnlySpan<byte> code, ulong address) => _handle.DisassembleOne(code, address);

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();
}
