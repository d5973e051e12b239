using CsCheck;
using MemGate.Memory;

namespace MemGate.Tests.Memory;

/// <summary>GuestMemory against a byte-per-address model, across region boundaries, holes, permissions and MMIO.</summary>
public class GuestMemoryModelTests
{
    private sealed record ModelRegion(string Name, ulong Start, ulong Size, Permissions Permissions, RegionKind Kind);

    private static readonly ModelRegion[] Layout =
    [
        new("ram0", 0x1000, 0x2000, Permissions.ReadWrite, RegionKind.Ram),
        new("ram1", 0x3000, 0x800, Permissions.ReadWrite, RegionKind.Ram),         // ends mid-page
        new("flash", 0x3800, 0x1800, Permissions.ReadExecute, RegionKind.Flash),   // adjacent, read-only
        new("tiny", 0x6010, 0x20, Permissions.ReadWrite, RegionKind.Ram),          // sub-page, after a hole
        new("wo", 0x6030, 0x10, Permissions.Write, RegionKind.Ram),                // write-only
        new("mmio", 0x7000, 0x100, Permissions.ReadWrite, RegionKind.Mmio),
        new("top", 0xFFFF_F000, 0x1000, Permissions.ReadWrite, RegionKind.Ram),    // last page of 32 bits
    ];

    private static readonly ulong[] Interesting = [0x1000, 0x3000, 0x3800, 0x5000, 0x6010, 0x6030, 0x6040, 0x7000, 0x7100, 0xFFFF_F000, 0x1_0000_0000, 0x2000];

    private static readonly Gen<(int Op, int Base, int Delta, int Size, ulong Value)> OpGen =
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, Interesting.Length - 1], Gen.Int[-12, 12], Gen.Int[1, 24], Gen.ULong);

    public static TheoryData<bool, bool> Modes => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Behaves_like_a_byte_model(bool regionTable, bool bigEndian)
    {
        OpGen.Array[1, 60].Sample(ops =>
        {
            var order = bigEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian;
            var mmio = new GuestMemoryTests.RecordingMmio(0x100, bigEndian);
            using var memory = GuestMemory.Create(Layout.Select(r => r.Kind == RegionKind.Mmio
                    ? GuestRegion.Mmio(r.Name, r.Start, r.Size, mmio, r.Permissions)
                    : new GuestRegion(r.Name, new GuestAddress(r.Start), r.Size, r.Permissions, r.Kind)),
                new GuestMemoryOptions { ForceRegionTable = regionTable, ByteOrder = order });
            var model = new Dictionary<ulong, byte>();
            foreach (var (op, baseIndex, delta, size, value) in ops)
            {
                ulong address = (ulong)((long)Interesting[baseIndex] + delta);
                var at = new GuestAddress(address);
                switch (op)
                {
                    case 0 or 1:
                    {
                        var fault = ModelFault(address, (ulong)size, AccessKind.Read, check: op == 0);
                        var buffer = new byte[size];
                        var actual = Catch(() => { if (op == 0) memory.Read(at, buffer); else memory.Debug.Read(at, buffer); });
                        Assert.Equal(fault, actual);
                        if (fault == GuestFault.None)
                        {
                            Assert.Equal(ModelBytes(model, address, size), buffer);
                        }
                        break;
                    }
                    case 2 or 3:
                    {
                        var fault = ModelFault(address, (ulong)size, AccessKind.Write, check: op == 2);
                        var data = BitConverter.GetBytes(value).Concat(BitConverter.GetBytes(~value)).Concat(BitConverter.GetBytes(value * 3)).Take(size).ToArray();
                        var actual = Catch(() => { if (op == 2) memory.Write(at, data); else memory.Debug.Write(at, data); });
                        Assert.Equal(fault, actual);
                        if (fault == GuestFault.None)
                        {
                            for (int i = 0; i < size; i++)
                            {
                                model[address + (ulong)i] = data[i];
                            }
                        }
                        break;
                    }
                    case 4:
                    {
                        var fault = ModelFault(address, 4, AccessKind.Read, check: true);
                        uint read = 0;
                        Assert.Equal(fault, Catch(() => read = memory.ReadUInt32(at)));
                        if (fault == GuestFault.None)
                        {
                            Assert.Equal(Compose(ModelBytes(model, address, 4), bigEndian), read);
                        }
                        break;
                    }
                    case 5:
                    {
                        var fault = ModelFault(address, 8, AccessKind.Write, check: true);
                        Assert.Equal(fault, Catch(() => memory.WriteUInt64(at, value)));
                        if (fault == GuestFault.None)
                        {
                            for (int i = 0; i < 8; i++)
                            {
                                model[address + (ulong)i] = (byte)(value >> (8 * (bigEndian ? 7 - i : i)));
                            }
                        }
                        break;
                    }
                    case 6:
                    {
                        var fault = ModelFault(address, 2, AccessKind.Write, check: true);
                        Assert.Equal(fault, Catch(() => memory.WriteUInt16(at, (ushort)value)));
                        if (fault == GuestFault.None)
                        {
                            model[address + (bigEndian ? 1UL : 0UL)] = (byte)value;
                            model[address + (bigEndian ? 0UL : 1UL)] = (byte)(value >> 8);
                        }
                        break;
                    }
                    case 7:
                    {
                        var fault = ModelFault(address, (ulong)size, AccessKind.Execute, check: true);
                        Assert.Equal(fault, Catch(() => memory.Fetch(at, new byte[size])));
                        break;
                    }
                    case 8:
                    {
                        var fault = ModelFault(address, 4, AccessKind.Read, check: true);
                        Assert.Equal(fault == GuestFault.None, memory.TryReadUInt32(at, out uint read));
                        Assert.Equal(fault, memory.Check(at, 4, AccessKind.Read));
                        if (fault == GuestFault.None)
                        {
                            Assert.Equal(Compose(ModelBytes(model, address, 4), bigEndian), read);
                        }
                        break;
                    }
                    case 9:
                    {
                        var fault = ModelFault(address, 8, AccessKind.Read, check: false);
                        ulong read = 0;
                        Assert.Equal(fault, Catch(() => read = memory.Debug.ReadUInt64(at)));
                        if (fault == GuestFault.None)
                        {
                            Assert.Equal(Compose(ModelBytes(model, address, 8), bigEndian), read);
                        }
                        break;
                    }
                }
            }
            // Every region's contents match the model at the end.
            foreach (var r in Layout)
            {
                var all = new byte[r.Size];
                memory.Debug.Read(new GuestAddress(r.Start), all);
                Assert.Equal(ModelBytes(model, r.Start, (int)r.Size), all);
            }
        }, iter: 600);
    }

    private static GuestFault ModelFault(ulong address, ulong size, AccessKind access, bool check)
    {
        var needed = access switch { AccessKind.Read => Permissions.Read, AccessKind.Write => Permissions.Write, _ => Permissions.Execute };
        for (ulong i = 0; i < size; i++)
        {
            ulong a = address + i;
            var region = a <= 0xFFFF_FFFF ? Layout.FirstOrDefault(r => a >= r.Start && a - r.Start < r.Size) : null;
            if (region is null)
            {
                return i == 0 ? GuestFault.Unmapped : GuestFault.CrossesHole;
            }
            if (check && (region.Permissions & needed) == 0)
            {
                return GuestFault.PermissionDenied;
            }
        }
        return GuestFault.None;
    }

    private static byte[] ModelBytes(Dictionary<ulong, byte> model, ulong address, int size) =>
        Enumerable.Range(0, size).Select(i => model.GetValueOrDefault(address + (ulong)i)).ToArray();

    private static ulong Compose(byte[] bytes, bool bigEndian)
    {
        ulong value = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            value |= (ulong)bytes[i] << (8 * (bigEndian ? bytes.Length - 1 - i : i));
        }
        return value;
    }

    private static GuestFault Catch(Action action)
    {
        try
        {
            action();
            return GuestFault.None;
        }
        catch (GuestMemoryException e)
        {
            return e.Fault;
        }
    }
}
