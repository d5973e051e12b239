using CsCheck;
using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Tests.Mmio;

public sealed class RegisterBlockTests
{
    private static readonly Gen<(FieldAccess, WriteAction, ReadAction)> FieldKind =
        Gen.Select(Gen.Enum<FieldAccess>(), Gen.Enum<WriteAction>(), Gen.Enum<ReadAction>());

    // A 32-bit register cut into random fields of every access kind, driven by full-width and
    // byte-lane reads and writes and resets, against a model that applies the rules bit by bit.
    [Fact]
    public void Every_field_kind_behaves_like_a_bitwise_model()
    {
        var cuts = Gen.Int[1, 31].Array[0, 8];
        var ops = Gen.Select(Gen.Int[0, 9], Gen.UInt, Gen.Int[0, 3]).Array[1, 60];
        Gen.Select(cuts, FieldKind.Array[9], Gen.UInt, Gen.Bool, ops).Sample(t =>
        {
            var (cutPoints, kinds, reset, bigEndian, operations) = t;
            var bounds = cutPoints.Distinct().Order().Prepend(0).Append(32).ToArray();
            var fields = new List<RegisterField>();
            for (int f = 0; f + 1 < bounds.Length; f++)
            {
                var (access, write, read) = kinds[f];
                fields.Add(new RegisterField($"F{f}", bounds[f], bounds[f + 1] - bounds[f]) { Access = access, WriteAction = write, ReadAction = read });
            }
            var block = new RegisterBlock("P", 8, [new RegisterDefinition("R", 4, 32) { ResetValue = reset, Fields = fields }],
                bigEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian);
            var model = new BitModel(fields, reset);
            foreach (var (op, value, lane) in operations)
            {
                switch (op)
                {
                    case 0 or 1 or 2:
                        block.Write(4, 4, value);
                        model.Write(value, 0xFFFF_FFFF);
                        break;
                    case 3 or 4:
                    {
                        // One byte: register byte `lane` sits at offset 4 + lane (little) or 4 + 3 - lane (big).
                        ulong at = 4 + (ulong)(bigEndian ? 3 - lane : lane);
                        block.Write(at, 1, value & 0xFF);
                        model.Write((value & 0xFF) << (8 * lane), 0xFFUL << (8 * lane));
                        break;
                    }
                    case 5 or 6 or 7:
                        Assert.Equal(model.Read(0xFFFF_FFFF), block.Read(4, 4));
                        break;
                    case 8:
                    {
                        ulong at = 4 + (ulong)(bigEndian ? 3 - lane : lane);
                        Assert.Equal((model.Read(0xFFUL << (8 * lane)) >> (8 * lane)) & 0xFF, block.Read(at, 1));
                        break;
                    }
                    default:
                        block.Reset();
                        model.Reset();
                        break;
                }
                Assert.Equal(model.Stored, block.Peek("R"));
            }
        }, iter: 2000);
    }

    private sealed class BitModel(List<RegisterField> fields, uint reset)
    {
        private bool _written;

        public ulong Stored { get; private set; } = reset;

        public void Reset()
        {
            Stored = reset;
            _written = false;
        }

        public void Write(ulong value, ulong lanes)
        {
            ulong updated = Stored;
            bool touchedOnce = false;
            for (int b = 0; b < 32; b++)
            {
                if (((lanes >> b) & 1) == 0)
                {
                    continue;
                }
                var f = fields.Single(x => b >= x.BitOffset && b < x.BitOffset + x.BitWidth);
                bool once = f.Access is FieldAccess.WriteOnce or FieldAccess.ReadWriteOnce;
                touchedOnce |= once;
                bool writable = f.Access is FieldAccess.ReadWrite or FieldAccess.WriteOnly || (once && !_written);
                if (!writable)
                {
                    continue;
                }
                bool v = ((value >> b) & 1) != 0;
                bool old = ((Stored >> b) & 1) != 0;
                bool bit = f.WriteAction switch
                {
                    WriteAction.Modify => v,
                    WriteAction.OneToClear => !v && old,
                    WriteAction.OneToSet => v || old,
                    WriteAction.OneToToggle => v ? !old : old,
                    WriteAction.ZeroToClear => v && old,
                    WriteAction.ZeroToSet => !v || old,
                    WriteAction.ZeroToToggle => v ? old : !old,
                    WriteAction.Clear => false,
                    _ => true,
                };
                updated = bit ? updated | (1UL << b) : updated & ~(1UL << b);
            }
            Stored = updated;
            _written |= touchedOnce;
        }

        public ulong Read(ulong lanes)
        {
            ulong seen = 0;
            ulong after = Stored;
            for (int b = 0; b < 32; b++)
            {
                var f = fields.Single(x => b >= x.BitOffset && b < x.BitOffset + x.BitWidth);
                bool readable = f.Access is FieldAccess.ReadWrite or FieldAccess.ReadOnly or FieldAccess.ReadWriteOnce;
                if (readable && ((Stored >> b) & 1) != 0)
                {
                    seen |= 1UL << b;
                }
                if (((lanes >> b) & 1) != 0)
                {
                    after = f.ReadAction switch
                    {
                        ReadAction.Clear => after & ~(1UL << b),
                        ReadAction.Set => after | (1UL << b),
                        _ => after,
                    };
                }
            }
            Stored = after;
            return seen;
        }
    }

    private static RegisterBlock Usart(UnmodelledAccessPolicy policy = UnmodelledAccessPolicy.Fault, Action<string>? log = null)
    {
        bool enabled = false;
        return new RegisterBlock("USART1", 0x400,
        [
            new RegisterDefinition("SR", 0x00, 32)
            {
                ResetValue = 0x00C0,
                Fields =
                [
                    new RegisterField("TXE", 7, 1) { Access = FieldAccess.ReadOnly },
                    new RegisterField("TC", 6, 1) { WriteAction = WriteAction.ZeroToClear },
                    new RegisterField("RXNE", 5, 1) { WriteAction = WriteAction.ZeroToClear },
                    new RegisterField("ORE", 3, 1) { Access = FieldAccess.ReadOnly, ReadAction = ReadAction.Clear },
                ],
            },
            new RegisterDefinition("DR", 0x04, 32) { Fields = [new RegisterField("DR", 0, 9)] },
            new RegisterDefinition("CR1", 0x0C, 32)
            {
                Fields =
                [
                    new RegisterField("UE", 13, 1) { OnWrite = (_, now) => enabled = now != 0 },
                    new RegisterField("READY", 0, 1) { Access = FieldAccess.ReadOnly, OnRead = _ => enabled ? 1UL : 0 },
                ],
            },
            new RegisterDefinition("ISR", 0x10, 32) { Fields = [new RegisterField("IRQ", 0, 8) { WriteAction = WriteAction.OneToClear }] },
            new RegisterDefinition("H0", 0x20, 16),
            new RegisterDefinition("H1", 0x22, 16),
        ], policy: policy, baseAddress: 0x4001_3800, log: log);
    }

    [Fact]
    public void Firmware_patterns_behave_as_on_hardware()
    {
        var usart = Usart();
        using var memory = GuestMemory.Create([GuestRegion.Mmio("USART1", 0x4001_3800, 0x400, usart)]);
        var sr = new GuestAddress(0x4001_3800);
        var cr1 = new GuestAddress(0x4001_380C);
        var isr = new GuestAddress(0x4001_3810);

        // Polling a ready bit that follows its enable bit (read-modify-write of CR1).
        Assert.Equal(0U, memory.ReadUInt32(cr1) & 1);
        memory.WriteUInt32(cr1, memory.ReadUInt32(cr1) | (1 << 13));
        Assert.Equal(1U, memory.ReadUInt32(cr1) & 1);

        // W1C interrupt flags: writing 1 clears exactly those bits.
        usart.Poke("ISR", 0b1011);
        memory.WriteUInt32(isr, 0b0010);
        Assert.Equal(0b1001U, memory.ReadUInt32(isr));

        // rc_w0 flags: writing 0 clears, writing 1 leaves; read-only TXE ignores writes.
        memory.WriteUInt32(sr, ~(1U << 6));
        Assert.Equal(0x80U, memory.ReadUInt32(sr) & 0xC0);

        // Read-to-clear: the overrun flag reads once.
        usart.Poke("SR", usart.Peek("SR") | 0x08);
        Assert.Equal(0x08U, memory.ReadUInt32(sr) & 0x08);
        Assert.Equal(0x00U, memory.ReadUInt32(sr) & 0x08);

        // DR keeps 9 bits; a byte write to its low byte leaves the high bits.
        memory.WriteUInt32(new GuestAddress(0x4001_3804), 0x1FF);
        memory.WriteByte(new GuestAddress(0x4001_3804), 0x12);
        Assert.Equal(0x112U, memory.ReadUInt32(new GuestAddress(0x4001_3804)));

        // A 32-bit access over two 16-bit registers reaches both.
        memory.WriteUInt32(new GuestAddress(0x4001_3820), 0xBEEF_CAFE);
        Assert.Equal((0xCAFEUL, 0xBEEFUL), (usart.Peek("H0"), usart.Peek("H1")));

        usart.Reset();
        Assert.Equal(0xC0UL, usart.Peek("SR"));
    }

    [Fact]
    public void Unmodelled_accesses_follow_the_policy()
    {
        using (var memory = GuestMemory.Create([GuestRegion.Mmio("USART1", 0x4001_3800, 0x400, Usart())]))
        {
            var e = Assert.Throws<GuestMemoryException>(() => memory.ReadUInt32(new GuestAddress(0x4001_3900)));
            Assert.Equal(GuestFault.NoRegister, e.Fault);
            Assert.Contains("peripheral 'USART1' has no register at offset 0x100", e.Message);
        }
        var lines = new List<string>();
        var recording = Usart(UnmodelledAccessPolicy.Record, lines.Add);
        using (var memory = GuestMemory.Create([GuestRegion.Mmio("USART1", 0x4001_3800, 0x400, recording)]))
        {
            Assert.Equal(0U, memory.ReadUInt32(new GuestAddress(0x4001_3900)));
            memory.WriteByte(new GuestAddress(0x4001_3904), 0x5A);
        }
        // An aligned word outside every register is one access, as the CPU made it, not four bytes.
        Assert.Equal([new UnmodelledAccess(0x100, 4, false, 0), new UnmodelledAccess(0x104, 1, true, 0x5A)], recording.Unmodelled);
        Assert.Contains(lines, l => l.Contains("unmodelled 1-byte write of 0x5A to 0x40013904"));
    }

    [Theory]
    [InlineData(12, 32, "size 12 bits")]
    [InlineData(0x3FE, 32, "outside the block")]
    public void Bad_definitions_name_the_register(ulong offset, int bits, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new RegisterBlock("P", 0x400, [new RegisterDefinition("R", offset, bits == 32 && offset == 12 ? 12 : bits)]));
        Assert.Contains(message, e.Message);
        Assert.Contains("'R'", e.Message);
    }

    [Fact]
    public void Overlapping_fields_and_registers_are_rejected()
    {
        Assert.Contains("overlaps another field", Assert.Throws<ArgumentException>(() => new RegisterBlock("P", 16,
            [new RegisterDefinition("R", 0, 32) { Fields = [new("A", 0, 4), new("B", 3, 2)] }])).Message);
        Assert.Contains("overlaps 'R'", Assert.Throws<ArgumentException>(() => new RegisterBlock("P", 16,
            [new RegisterDefinition("R", 0, 32), new RegisterDefinition("S", 2, 16)])).Message);
    }
}
