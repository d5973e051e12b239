using MemGate.Mmio;

namespace MemGate.Peripherals.RiscV;

/// <summary>
/// The core-local interruptor for hart 0 (SiFive CLINT layout, at 0x02000000 on QEMU's RISC-V <c>virt</c> board):
/// MSIP at +0x0, MTIMECMP at +0x4000, MTIME at +0xBFF8. MTIME counts executed instructions, so timer
/// interrupts come at exact, repeatable points of a run.
/// </summary>
public sealed class RiscVClint : Peripheral, IClockedPeripheral
{
    /// <summary>The registry's entry: model "riscv-clint".</summary>
    public static PeripheralModelInfo Info { get; } = new("riscv-clint",
        "RISC-V core-local interruptor (SiFive CLINT layout) for hart 0: MSIP, MTIMECMP, MTIME counting executed instructions", 0x1_0000,
        (settings, _) => new RiscVClint(settings.Name, settings.Base))
    {
        Architectural = ("CLINT", 0x0200_0000),
    };

    private readonly PeripheralBlock[] _blocks;
    private ulong _time;
    private ulong _timeOffset;
    private ulong _compare = ulong.MaxValue;
    private bool _softwarePending;

    /// <summary>A CLINT at <paramref name="baseAddress"/> (0x02000000 on virt).</summary>
    public RiscVClint(string name = "CLINT", ulong baseAddress = 0x0200_0000) : base(name)
    {
        Block = new RegisterBlock(name, 0x1_0000,
        [
            new RegisterDefinition("MSIP", 0x0000, 32) { OnWrite = (_, v) => _softwarePending = (v & 1) != 0, OnRead = _ => _softwarePending ? 1UL : 0 },
            new RegisterDefinition("MTIMECMP", 0x4000, 64) { ResetValue = ulong.MaxValue, OnWrite = (_, v) => _compare = v, OnRead = _ => _compare },
            new RegisterDefinition("MTIME", 0xBFF8, 64) { OnWrite = (_, v) => _timeOffset = v - _time, OnRead = _ => Time },
        ], baseAddress: baseAddress);
        _blocks = [new PeripheralBlock(name, baseAddress, 0x1_0000, Block)];
    }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    /// <inheritdoc/>
    public ulong TicksToEvent => TicksToCompare;

    /// <summary>The registers, for the CLINT's region.</summary>
    public RegisterBlock Block { get; }

    /// <summary>MTIME now.</summary>
    public ulong Time => _time + _timeOffset;

    /// <summary>The machine timer interrupt is pending (MTIME ≥ MTIMECMP).</summary>
    public bool TimerPending => Time >= _compare;

    /// <summary>The machine software interrupt is pending (MSIP).</summary>
    public bool SoftwarePending => _softwarePending;

    /// <summary>Ticks until MTIME reaches MTIMECMP (0 when the timer interrupt is pending, <see cref="ulong.MaxValue"/> when no compare is armed).</summary>
    public ulong TicksToCompare => _compare == ulong.MaxValue ? ulong.MaxValue : Time >= _compare ? 0 : _compare - Time;

    /// <summary>Counts <paramref name="ticks"/> executed instructions.</summary>
    public void Advance(ulong ticks) => _time += ticks;

    /// <inheritdoc/>
    public override void SaveState(StateWriter writer)
    {
        base.SaveState(writer);
        writer.Write(_time);
        writer.Write(_timeOffset);
        writer.Write(_compare);
        writer.Write(_softwarePending);
    }

    /// <inheritdoc/>
    public override void RestoreState(StateReader reader)
    {
        base.RestoreState(reader);
        (_time, _timeOffset, _compare, _softwarePending) = (reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadBoolean());
    }

    /// <summary>Back to reset: MTIME 0, MTIMECMP all ones, MSIP clear.</summary>
    public override void Reset() => (_time, _timeOffset, _compare, _softwarePending) = (0, 0, ulong.MaxValue, false);
}
