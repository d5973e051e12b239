using MemGate.Mmio;
using MemGate.Native;   // only for Unicorn's register ids, which are the engine's ids for this architecture

namespace MemGate.Emulation;

/// <summary>
/// The running CPU's registers as an <see cref="ICpuRegisterFile"/>: register windows (a device's
/// <c>registers</c> regions, or a <see cref="CpuRegisterWindow"/> made by the host) read and write the
/// engine's live registers, so firmware and tools can reach them through memory.
/// </summary>
/// <remarks>Bound to its machine once the engine exists; before that, an access is an error that says so.</remarks>
public sealed class EngineRegisterFile : ICpuRegisterFile
{
    private readonly (CpuRegister Register, int Id)[] _registers;
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private FirmwareMachine? _machine;

    internal EngineRegisterFile(IEnumerable<(string Name, int Id, int SizeBytes)> registers)
    {
        _registers = registers.Select(r => (new CpuRegister(r.Name, r.SizeBytes), r.Id)).ToArray();
        for (int i = 0; i < _registers.Length; i++)
        {
            _byName.Add(_registers[i].Register.Name, i);
        }
        Registers = _registers.Select(r => r.Register).ToArray();
    }

    /// <inheritdoc/>
    public IReadOnlyList<CpuRegister> Registers { get; }

    /// <inheritdoc/>
    public int IndexOf(string name) => _byName.TryGetValue(name, out int i) ? i : -1;

    /// <inheritdoc/>
    public ulong Read(int index) => Machine.ReadRegister(_registers[index].Id) & Mask(index);

    /// <inheritdoc/>
    public void Write(int index, ulong value) => Machine.WriteRegister(_registers[index].Id, value & Mask(index));

    internal void Bind(FirmwareMachine machine) => _machine = machine;

    private FirmwareMachine Machine => _machine ?? throw new InvalidOperationException("The CPU registers are not available before the machine's engine exists.");

    private ulong Mask(int index) => _registers[index].Register.SizeBytes == 8 ? ulong.MaxValue : (1UL << (8 * _registers[index].Register.SizeBytes)) - 1;

    /// <summary>Cortex-M: R0–R12, SP, LR, PC, xPSR, MSP, PSP, PRIMASK, BASEPRI, CONTROL (4 bytes each).</summary>
    internal static EngineRegisterFile CortexM() => new(
        Enumerable.Range(0, 13).Select(i => ($"R{i}", Unicorn.ArmRegR0 + i, 4))
            .Concat([("SP", Unicorn.ArmRegSp, 4), ("LR", Unicorn.ArmRegLr, 4), ("PC", Unicorn.ArmRegPc, 4), ("xPSR", Unicorn.ArmRegXpsr, 4),
                ("MSP", Unicorn.ArmRegMsp, 4), ("PSP", Unicorn.ArmRegPsp, 4), ("PRIMASK", Unicorn.ArmRegPrimask, 4), ("BASEPRI", Unicorn.ArmRegBasepri, 4),
                ("CONTROL", Unicorn.ArmRegControl, 4)]));

    /// <summary>RISC-V: x0–x31, PC and the machine-mode trap CSRs, XLEN/8 bytes each.</summary>
    internal static EngineRegisterFile RiscV(int xlen) => new(
        Enumerable.Range(0, 32).Select(i => ($"x{i}", Unicorn.RiscvRegX0 + i, xlen / 8))
            .Concat([("pc", Unicorn.RiscvRegPc, xlen / 8), ("mstatus", Unicorn.RiscvRegMstatus, xlen / 8), ("mie", Unicorn.RiscvRegMie, xlen / 8),
                ("mtvec", Unicorn.RiscvRegMtvec, xlen / 8), ("mepc", Unicorn.RiscvRegMepc, xlen / 8), ("mcause", Unicorn.RiscvRegMcause, xlen / 8)]));

    /// <summary>AArch64: X0–X30, SP, PC (8 bytes each) and PSTATE (4).</summary>
    internal static EngineRegisterFile Aarch64() => new(
        Enumerable.Range(0, 29).Select(i => ($"X{i}", Unicorn.Arm64RegX0 + i, 8))
            .Concat([("X29", Unicorn.Arm64RegX29, 8), ("X30", Unicorn.Arm64RegLr, 8), ("SP", Unicorn.Arm64RegSp, 8), ("PC", Unicorn.Arm64RegPc, 8),
                ("PSTATE", Unicorn.Arm64RegPstate, 4)]));
}
