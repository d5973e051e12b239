using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Peripherals.Arm;

/// <summary>
/// A GICv2 for one CPU as QEMU's Arm <c>virt</c> board has it (no Security Extensions, 288 interrupt
/// IDs): the distributor (GICD_CTLR, TYPER, IIDR, IGROUPR, ISENABLER/ICENABLER, ISPENDR/ICPENDR,
/// ISACTIVER/ICACTIVER, IPRIORITYR, ITARGETSR, ICFGR, SGIR, ID registers) and the CPU interface
/// (GICC_CTLR, PMR, BPR, IAR, EOIR, RPR, HPPIR, ABPR, IIDR, DIR). Peripherals drive lines with
/// <see cref="SetLevel"/>; the machine asks <see cref="Signal"/> which exception to take.
/// </summary>
/// <remarks>
/// As in QEMU's arm_gic: SGIs are always enabled and edge-triggered; a level-sensitive interrupt is
/// pending while its line is high or its pending latch is set; ITARGETSR is RAZ/WI on a uniprocessor;
/// group 0 is signalled as FIQ when GICC_CTLR.FIQEn is set, else as IRQ; a group 1 interrupt is
/// acknowledged only with GICC_CTLR.AckCtl (IAR reads 1022 otherwise). Priorities have 8 bits and
/// preemption compares group priorities (BPR).
/// </remarks>
public sealed class Gicv2 : Peripheral, IInterruptController
{
    /// <summary>The registry's entry: model "gicv2" (the distributor at the entry's base, the CPU interface at <c>cpu_interface</c>).</summary>
    public static PeripheralModelInfo Info { get; } = new("gicv2",
        "Arm GICv2 distributor and CPU interface for one CPU, as QEMU's virt board has it (IHI 0048B); irq is the interrupt ID (SPIs from 32)", 0x1000, Create)
    {
        Parameters = [new("cpu_interface", "address of the CPU interface's registers (default: the distributor's base + 0x10000, as on virt)")],
        Architectural = ("GIC_DIST", 0x0800_0000),
        IsInterruptController = true,
    };

    private const ulong RegistersSize = 0x1_0000;
    private readonly PeripheralBlock[] _blocks;
    /// <summary>Interrupt IDs: 16 SGIs, 16 PPIs and 256 SPIs (QEMU virt's NUM_IRQS + GIC_INTERNAL).</summary>
    public const int Lines = 288;

    /// <summary>An ID the CPU interface returns when nothing can be acknowledged.</summary>
    public const uint Spurious = 1023;

    private const uint CtlrGroup0 = 1, CtlrGroup1 = 2, CtlrAckCtl = 4, CtlrFiqEn = 8;
    private const int Idle = 0x100;

    private readonly bool[] _enabled = new bool[Lines];
    private readonly bool[] _latched = new bool[Lines];
    private readonly bool[] _active = new bool[Lines];
    private readonly bool[] _level = new bool[Lines];
    private readonly bool[] _edge = new bool[Lines];
    private readonly bool[] _group1 = new bool[Lines];
    private readonly byte[] _priority = new byte[Lines];
    private readonly int[] _activePriority = new int[Lines];   // group priority each active interrupt was taken at
    private uint _distributorControl;
    private uint _cpuControl;
    private uint _priorityMask;
    private uint _binaryPoint;
    private uint _aliasedBinaryPoint;
    private GicSignal _signal;
    private bool _changed = true;   // the machine asks for the signal at every block: recompute only after a change

    /// <summary>A GIC after reset, its distributor at <paramref name="distributor"/> and its CPU interface at <paramref name="cpuInterface"/>.</summary>
    public Gicv2(string name = "GIC", ulong distributor = 0x0800_0000, ulong cpuInterface = 0x0801_0000) : base(name)
    {
        Distributor = new DistributorRegisters(this);
        CpuInterface = new CpuInterfaceRegisters(this);
        _blocks = [new PeripheralBlock(name, distributor, RegistersSize, Distributor), new PeripheralBlock(name + "_CPU", cpuInterface, RegistersSize, CpuInterface)];
        Reset();
    }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    /// <inheritdoc/>
    public int LineCount => Lines;

    /// <inheritdoc/>
    public int FirstLine => 32;

    /// <inheritdoc/>
    void IInterruptController.SetLevel(int line, bool asserted) => SetLevel(line, asserted);

    /// <inheritdoc/>
    public override void SaveState(StateWriter writer)
    {
        base.SaveState(writer);
        writer.Write(_enabled);
        writer.Write(_latched);
        writer.Write(_active);
        writer.Write(_level);
        writer.Write(_edge);
        writer.Write(_group1);
        writer.Write(_priority);
        writer.Write(_activePriority);
        writer.Write([(int)_distributorControl, (int)_cpuControl, (int)_priorityMask, (int)_binaryPoint, (int)_aliasedBinaryPoint]);
    }

    /// <inheritdoc/>
    public override void RestoreState(StateReader reader)
    {
        base.RestoreState(reader);
        reader.Read(_enabled.AsSpan());
        reader.Read(_latched.AsSpan());
        reader.Read(_active.AsSpan());
        reader.Read(_level.AsSpan());
        reader.Read(_edge.AsSpan());
        reader.Read(_group1.AsSpan());
        reader.Read(_priority.AsSpan());
        reader.Read(_activePriority.AsSpan());
        Span<int> registers = stackalloc int[5];
        reader.Read(registers);
        (_distributorControl, _cpuControl, _priorityMask, _binaryPoint, _aliasedBinaryPoint) =
            ((uint)registers[0], (uint)registers[1], (uint)registers[2], (uint)registers[3], (uint)registers[4]);
        _changed = true;
    }

    /// <summary>The distributor's registers (0x08000000 on virt).</summary>
    public IMmioHandler Distributor { get; }

    /// <summary>The CPU interface's registers (0x08010000 on virt).</summary>
    public IMmioHandler CpuInterface { get; }

    /// <summary>Back to reset: everything disabled, inactive and not pending, priorities 0, SGIs enabled and edge-triggered.</summary>
    public override void Reset()
    {
        Array.Clear(_enabled);
        Array.Clear(_latched);
        Array.Clear(_active);
        Array.Clear(_level);
        Array.Clear(_edge);
        Array.Clear(_group1);
        Array.Clear(_priority);
        for (int i = 0; i < 16; i++)
        {
            _enabled[i] = true;
            _edge[i] = true;
        }
        (_distributorControl, _cpuControl, _priorityMask, _binaryPoint, _aliasedBinaryPoint) = (0, 0, 0, 0, 1);
        _changed = true;
    }

    /// <summary>Drives interrupt line <paramref name="id"/> (a PPI 16–31 or an SPI 32–287); a rising edge latches an edge-triggered one.</summary>
    public void SetLevel(int id, bool high)
    {
        if (id < 16 || id >= Lines)
        {
            throw new ArgumentOutOfRangeException(nameof(id), $"GIC interrupt {id} is not a PPI or SPI line.");
        }
        if (high == _level[id])
        {
            return;
        }
        if (high && _edge[id])
        {
            _latched[id] = true;
        }
        _level[id] = high;
        _changed = true;
    }

    /// <summary>What the GIC signals to the CPU now: none, an IRQ or an FIQ.</summary>
    public GicSignal Signal
    {
        get
        {
            if (_changed)
            {
                _signal = ComputeSignal();
                _changed = false;
            }
            return _signal;
        }
    }

    private GicSignal ComputeSignal()
    {
        int best = Best();
        if (best < 0 || GroupPriority(best) >= RunningPriority)
        {
            return GicSignal.None;
        }
        uint group = _group1[best] ? CtlrGroup1 : CtlrGroup0;
        if ((_distributorControl & group) == 0 || (_cpuControl & group) == 0)
        {
            return GicSignal.None;
        }
        return !_group1[best] && (_cpuControl & CtlrFiqEn) != 0 ? GicSignal.Fiq : GicSignal.Irq;
    }

    /// <summary>Whether interrupt <paramref name="id"/> is enabled in the distributor.</summary>
    public bool IsEnabled(int id) => _enabled[id];

    /// <summary>Whether interrupt <paramref name="id"/> is pending (latched, or its level-sensitive line high).</summary>
    public bool IsPending(int id) => Pending(id);

    /// <summary>Whether interrupt <paramref name="id"/> is active (acknowledged, not yet ended).</summary>
    public bool IsActive(int id) => _active[id];

    private bool Pending(int id) => _latched[id] || (_level[id] && !_edge[id]);

    // The highest-priority enabled, pending, inactive interrupt under the priority mask (lowest ID on a tie), or -1.
    private int Best()
    {
        if ((_distributorControl & (CtlrGroup0 | CtlrGroup1)) == 0 || (_cpuControl & (CtlrGroup0 | CtlrGroup1)) == 0)
        {
            return -1;
        }
        int best = -1;
        int bestPriority = Idle;
        for (int id = 0; id < Lines; id++)
        {
            if (_enabled[id] && !_active[id] && _priority[id] < bestPriority && Pending(id))
            {
                best = id;
                bestPriority = _priority[id];
            }
        }
        return bestPriority < _priorityMask ? best : -1;
    }

    // The priority bits that take part in preemption (GICv2 3.3.3): BPR for group 0, ABPR for group 1 (without CBPR).
    private int GroupPriority(int id)
    {
        uint point = _group1[id] && (_cpuControl & 0x10) == 0 ? _aliasedBinaryPoint - 1 : _binaryPoint;
        return _priority[id] & (0xFF << (int)(Math.Min(point, 7) + 1)) & 0xFF;
    }

    private int RunningPriority
    {
        get
        {
            int running = Idle;
            for (int id = 0; id < Lines; id++)
            {
                if (_active[id] && _activePriority[id] < running)
                {
                    running = _activePriority[id];
                }
            }
            return running;
        }
    }

    private uint Acknowledge()
    {
        int best = Best();
        if (best < 0 || GroupPriority(best) >= RunningPriority)
        {
            return Spurious;
        }
        if (_group1[best] && (_cpuControl & CtlrAckCtl) == 0)
        {
            return 1022;   // a group 1 interrupt is not acknowledged through a group 0 read without AckCtl
        }
        _latched[best] = false;
        _active[best] = true;
        _activePriority[best] = GroupPriority(best);
        return (uint)best;   // an SGI's source CPU (bits 10-12) is 0: there is one CPU
    }

    private void EndOfInterrupt(uint value)
    {
        int id = (int)(value & 0x3FF);
        if (id < Lines)
        {
            _active[id] = false;
        }
    }

    private uint HighestPending()
    {
        int best = Best();
        return best < 0 ? Spurious : _group1[best] && (_cpuControl & CtlrAckCtl) == 0 ? 1022 : (uint)best;
    }

    // ---- distributor: byte-wise, as QEMU's gic_dist_readb/writeb, so any access width works ----

    private uint ReadDistributorByte(ulong offset)
    {
        int bank = (int)(offset & 0x7F) * 8;   // first ID of a bit-per-interrupt register byte
        return offset switch
        {
            < 0x04 => offset == 0 ? _distributorControl : 0,
            < 0x08 => offset == 4 ? (uint)(Lines / 32 - 1) : 0,   // TYPER: ITLinesNumber, one CPU, no security
            < 0x0C => (0x0200_043Bu >> (8 * (int)(offset - 8))) & 0xFF,   // IIDR: Arm, GICv2
            < 0x80 => 0,
            < 0x100 => Bits(_group1, bank),
            < 0x200 => Bits(_enabled, bank),
            < 0x300 => PendingBits(bank),
            < 0x400 => Bits(_active, bank),
            < 0x800 => offset - 0x400 < Lines ? (uint)_priority[offset - 0x400] : 0u,
            < 0xC00 => 0,   // ITARGETSR: RAZ/WI on a uniprocessor GIC
            < 0xF00 => ConfigurationBits((int)(offset - 0xC00) * 4),
            >= 0xFD0 and < 0x1000 when (offset & 3) == 0 => IdentificationByte((int)(offset - 0xFD0) >> 2),
            _ => 0,
        };
    }

    private void WriteDistributorByte(ulong offset, uint value)
    {
        int bank = (int)(offset & 0x7F) * 8;
        switch (offset)
        {
            case 0:
                _distributorControl = value & (CtlrGroup0 | CtlrGroup1);
                break;
            case >= 0x80 and < 0x100:
                SetBits(_group1, bank, value, true, clearZeros: true);
                break;
            case >= 0x100 and < 0x180:
                // Enabling a level-sensitive interrupt whose line is high latches it pending (QEMU does the same).
                for (int i = 0; i < 8 && bank + i < Lines; i++)
                {
                    if ((value & (1u << i)) != 0 && _level[bank + i] && !_edge[bank + i])
                    {
                        _latched[bank + i] = true;
                    }
                }
                SetBits(_enabled, bank, bank < 16 ? 0 : value, true);
                break;
            case >= 0x180 and < 0x200:
                SetBits(_enabled, bank, bank < 16 ? 0 : value, false);   // SGIs stay enabled
                break;
            case >= 0x200 and < 0x280:
                SetBits(_latched, bank, bank < 16 ? 0 : value, true);   // SGIs are raised through SGIR
                break;
            case >= 0x280 and < 0x300:
                SetBits(_latched, bank, bank < 16 ? 0 : value, false);
                break;
            case >= 0x300 and < 0x380:
                SetBits(_active, bank, value, true);
                break;
            case >= 0x380 and < 0x400:
                SetBits(_active, bank, value, false);
                break;
            case >= 0x400 and < 0x800 when offset - 0x400 < Lines:
                _priority[offset - 0x400] = (byte)value;
                break;
            case >= 0xC00 and < 0xF00:
                int first = (int)(offset - 0xC00) * 4;
                for (int i = 0; i < 4 && first + i < Lines; i++)
                {
                    if (first + i >= 16)
                    {
                        _edge[first + i] = (value & (2u << (2 * i))) != 0;
                    }
                }
                break;
        }
    }

    // GICD_SGIR (a word-only register): target list filter 0 = the list, 1 = all others (none here), 2 = this CPU.
    private void SoftwareInterrupt(uint value)
    {
        uint filter = (value >> 24) & 3;
        uint targets = (value >> 16) & 0xFF;
        if (filter == 2 || (filter == 0 && (targets & 1) != 0))
        {
            _latched[value & 0xF] = true;
        }
    }

    private static uint Bits(bool[] bits, int first)
    {
        uint result = 0;
        for (int i = 0; i < 8 && first + i < Lines; i++)
        {
            result |= bits[first + i] ? 1u << i : 0;
        }
        return result;
    }

    private uint PendingBits(int first)
    {
        uint result = 0;
        for (int i = 0; i < 8 && first + i < Lines; i++)
        {
            result |= Pending(first + i) ? 1u << i : 0;
        }
        return result;
    }

    private static void SetBits(bool[] bits, int first, uint value, bool set, bool clearZeros = false)
    {
        for (int i = 0; i < 8 && first + i < Lines; i++)
        {
            if ((value & (1u << i)) != 0)
            {
                bits[first + i] = set;
            }
            else if (clearZeros)
            {
                bits[first + i] = false;
            }
        }
    }

    private uint ConfigurationBits(int first)
    {
        uint result = 0;
        for (int i = 0; i < 4 && first + i < Lines; i++)
        {
            result |= _edge[first + i] ? 2u << (2 * i) : 0;
        }
        return result;
    }

    // PeriphID4..7, PeriphID0..3, ComponentID0..3 from 0xFD0, as QEMU's GICv2.
    private static uint IdentificationByte(int index)
    {
        ReadOnlySpan<byte> ids = [0x04, 0x00, 0x00, 0x00, 0x90, 0xB4, 0x2B, 0x00, 0x0D, 0xF0, 0x05, 0xB1];
        return index < ids.Length ? ids[index] : 0u;
    }

    // ---- CPU interface: word registers ----

    private uint ReadCpuInterface(ulong offset) => offset switch
    {
        0x00 => _cpuControl,
        0x04 => _priorityMask,
        0x08 => _binaryPoint,
        0x0C => Acknowledge(),
        0x14 => RunningPriority == Idle ? 0xFFu : (uint)RunningPriority,
        0x18 => HighestPending(),
        0x1C => _aliasedBinaryPoint,
        0xFC => 0x0002_043B,   // GICC_IIDR: GICv2, Arm
        _ => 0,
    };

    private void WriteCpuInterface(ulong offset, uint value)
    {
        switch (offset)
        {
            case 0x00: _cpuControl = value & 0x21F; break;   // EnableGrp0/1, AckCtl, FIQEn, CBPR, EOImodeNS
            case 0x04: _priorityMask = value & 0xFF; break;
            case 0x08: _binaryPoint = value & 7; break;
            case 0x10: EndOfInterrupt(value); break;
            case 0x1C: _aliasedBinaryPoint = Math.Max(value & 7, 1); break;
            case 0x1000: EndOfInterrupt(value); break;   // GICC_DIR
        }
    }

    private static Gicv2 Create(PeripheralSettings settings, PeripheralContext context) =>
        new(settings.Name, settings.Base, settings.Number("cpu_interface", settings.Base + RegistersSize));

    private sealed class DistributorRegisters(Gicv2 gic) : IMmioHandler
    {
        public ulong Read(ulong offset, int size)
        {
            ulong value = 0;
            for (int i = 0; i < size; i++)
            {
                value |= (ulong)gic.ReadDistributorByte(offset + (ulong)i) << (8 * i);
            }
            return value;
        }

        public void Write(ulong offset, int size, ulong value)
        {
            gic._changed = true;
            if (offset == 0xF00)
            {
                gic.SoftwareInterrupt((uint)value);
                return;
            }
            for (int i = 0; i < size; i++)
            {
                gic.WriteDistributorByte(offset + (ulong)i, (uint)(value >> (8 * i)) & 0xFF);
            }
        }
    }

    private sealed class CpuInterfaceRegisters(Gicv2 gic) : IMmioHandler
    {
        public ulong Read(ulong offset, int size)
        {
            gic._changed |= offset == 0x0C;   // IAR acknowledges
            return size == 4 ? gic.ReadCpuInterface(offset) : 0;
        }

        public void Write(ulong offset, int size, ulong value)
        {
            gic._changed = true;
            if (size == 4)
            {
                gic.WriteCpuInterface(offset, (uint)value);
            }
        }
    }
}

