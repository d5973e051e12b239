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
    private readonly Dictionary<string, int> _byName = new(StringComparer.OrdinalIgnoreCase);
    private FirmwareMachine? _machine;

    // aliases: other names of registers (the ABI's, as GDB and assemblers also accept them), each naming one of `registers`.
    internal EngineRegisterFile(IEnumerable<(string Name, int Id, int SizeBytes)> registers, params (string Alias, string Name)[] aliases)
    {
        _registers = registers.Select(r => (new CpuRegister(r.Name, r.SizeBytes), r.Id)).ToArray();
        for (int i = 0; i < _registers.Length; i++)
        {
            _byName.Add(_registers[i].Register.Name, i);
        }
        foreach (var (alias, name) in aliases)
        {
            _byName.Add(alias, _byName[name]);
        }
        Registers = _registers.Select(r => r.Register).ToArray();
    }

    /// <inheritdoc/>
    public IReadOnlyList<CpuRegister> Registers { get; }

    /// <inheritdoc/>
    /// <remarks>Any case; the ABI's names too (RISC-V <c>sp</c>, <c>a0</c>, <c>fp</c>; Arm <c>r13</c>–<c>r15</c>, AArch64 <c>lr</c>, <c>fp</c>).</remarks>
    public int IndexOf(string name) => _byName.TryGetValue(name, out int i) ? i : -1;

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">No register has that index (-1 is what <see cref="IndexOf"/> returns for an unknown name).</exception>
    public ulong Read(int index) => Machine.ReadRegister(Id(index)) & Mask(index);

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">No register has that index.</exception>
    public void Write(int index, ulong value) => Machine.WriteRegister(Id(index), value & Mask(index));

    private int Id(int index) => (uint)index < (uint)_registers.Length ? _registers[index].Id
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"No CPU register has index {index}: there are {_registers.Length} " +
            $"({string.Join(", ", _registers.Select(r => r.Register.Name))}){(index == -1 ? "; IndexOf returns -1 for a name it does not know" : "")}.");

    internal void Bind(FirmwareMachine machine) => _machine = machine;

    private FirmwareMachine Machine => _machine ?? throw new InvalidOperationException("The CPU registers are not available before the machine's engine exists.");

    private ulong Mask(int index) => _registers[index].Register.SizeBytes == 8 ? ulong.MaxValue : (1UL << (8 * _registers[index].Register.SizeBytes)) - 1;

    /// <summary>Cortex-M: R0–R12, SP, LR, PC, xPSR, MSP, PSP, PRIMASK, BASEPRI, CONTROL (4 bytes each).</summary>
    internal static EngineRegisterFile CortexM() => new(
        Enumerable.Range(0, 13).Select(i => ($"R{i}", Unicorn.ArmRegR0 + i, 4))
            .Concat([("SP", Unicorn.ArmRegSp, 4), ("LR", Unicorn.ArmRegLr, 4), ("PC", Unicorn.ArmRegPc, 4), ("xPSR", Unicorn.ArmRegXpsr, 4),
                ("MSP", Unicorn.ArmRegMsp, 4), ("PSP", Unicorn.ArmRegPsp, 4), ("PRIMASK", Unicorn.ArmRegPrimask, 4), ("BASEPRI", Unicorn.ArmRegBasepri, 4),
                ("CONTROL", Unicorn.ArmRegControl, 4)]),
        ("R13", "SP"), ("R14", "LR"), ("R15", "PC"));

    /// <summary>RISC-V: x0–x31, PC and the machine-mode trap CSRs, XLEN/8 bytes each.</summary>
    internal static EngineRegisterFile RiscV(int xlen) => new(
        Enumerable.Range(0, 32).Select(i => ($"x{i}", Unicorn.RiscvRegX0 + i, xlen / 8))
            .Concat([("pc", Unicorn.RiscvRegPc, xlen / 8), ("mstatus", Unicorn.RiscvRegMstatus, xlen / 8), ("mie", Unicorn.RiscvRegMie, xlen / 8),
                ("mtvec", Unicorn.RiscvRegMtvec, xlen / 8), ("mepc", Unicorn.RiscvRegMepc, xlen / 8), ("mcause", Unicorn.RiscvRegMcause, xlen / 8)]),
        [.. RiscVAbiNames.Select((abi, i) => (abi, $"x{i}")), ("fp", "x8")]);

    // x0–x31 as the RISC-V calling convention names them.
    private static readonly string[] RiscVAbiNames =
        ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
         "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"];

    /// <summary>AArch64: X0–X30, SP, PC (8 bytes each) and PSTATE (4).</summary>
    internal static EngineRegisterFile Aarch64() => new(
        Enumerable.Range(0, 29).Select(i => ($"X{i}", Unicorn.Arm64RegX0 + i, 8))
            .Concat([("X29", Unicorn.Arm64RegX29, 8), ("X30", Unicorn.Arm64RegLr, 8), ("SP", Unicorn.Arm64RegSp, 8), ("PC", Unicorn.Arm64RegPc, 8),
                ("PSTATE", Unicorn.Arm64RegPstate, 4)]),
        ("FP", "X29"), ("LR", "X30"));
}
