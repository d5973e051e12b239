using CsCheck;
using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Tests.Mmio;

public sealed class PlainRegistersTests
{
    // Random aligned accesses of every width against a byte array, in both byte orders.
    [Fact]
    public void Behaves_like_a_byte_array()
    {
        const int size = 3 * 4096 + 64;
        var access = Gen.Select(Gen.Int[0, 3], Gen.Int[0, size - 1], Gen.ULong, Gen.Bool);
        Gen.Select(Gen.Bool, access.Array[1, 200]).Sample(t =>
        {
            var (bigEndian, ops) = t;
            var registers = new PlainRegisters(size, bigEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian);
            var model = new byte[size];
            foreach (var (log, at, value, write) in ops)
            {
                int width = 1 << log;
                int offset = at / width * width;
                if (offset + width > size)
                {
                    continue;
                }
                if (write)
                {
                    registers.Write((ulong)offset, width, value);
                    for (int i = 0; i < width; i++)
                    {
                        model[offset + (bigEndian ? width - 1 - i : i)] = (byte)(value >> (8 * i));
                    }
                }
                else
                {
                    ulong expected = 0;
                    for (int i = 0; i < width; i++)
                    {
                        expected |= (ulong)model[offset + (bigEndian ? width - 1 - i : i)] << (8 * i);
                    }
                    Assert.Equal(expected, registers.Read((ulong)offset, width));
                }
            }
        });
    }

    [Fact]
    public void Storage_is_sparse_and_reset_clears_it()
    {
        var registers = new PlainRegisters(1UL << 30);   // a 1 GiB PCIe window costs nothing …
        Assert.Equal(0UL, registers.StoredBytes);
        registers.Write(0x3FFF_FFF8, 8, 0x1122_3344_5566_7788);
        Assert.Equal(4096UL, registers.StoredBytes);    // … until written, one page at a time
        Assert.Equal(0x1122_3344_5566_7788UL, registers.Read(0x3FFF_FFF8, 8));
        Assert.Equal(0UL, registers.Read(0x1000, 4));
        registers.Reset();
        Assert.Equal(0UL, registers.Read(0x3FFF_FFF8, 8));
    }

    [Theory]
    [InlineData(0x10UL, 3)]    // not a power of two
    [InlineData(0x11UL, 2)]    // unaligned
    [InlineData(0x100UL, 4)]   // past the end
    public void Bad_accesses_throw(ulong offset, int size)
    {
        var registers = new PlainRegisters(0x100);
        Assert.Throws<ArgumentOutOfRangeException>(() => registers.Read(offset, size));
        Assert.Throws<ArgumentOutOfRangeException>(() => registers.Write(offset, size, 0));
    }

    [Fact]
    public void Guest_accesses_through_memory_reach_the_registers_split_as_a_bus_would()
    {
        var registers = new PlainRegisters(0x100);
        using var memory = GuestMemory.Create([GuestRegion.Mmio("UART", 0x4000_0000, 0x100, registers)]);
        memory.WriteUInt32(new GuestAddress(0x4000_0002), 0xAABB_CCDD);   // unaligned: split into naturally aligned pieces
        Assert.Equal(0xAABB_CCDDU, memory.ReadUInt32(new GuestAddress(0x4000_0002)));
        Assert.Equal(0xCCDDUL, registers.Read(2, 2));
        Assert.Equal(0xAABBUL, registers.Read(4, 2));
    }

    [Theory]
    [InlineData(ByteOrder.LittleEndian)]
    [InlineData(ByteOrder.BigEndian)]
    public void Typed_accesses_give_handlers_numbers_and_guests_bytes_in_their_order(ByteOrder order)
    {
        var registers = new PlainRegisters(0x10, order);
        using var memory = GuestMemory.Create([GuestRegion.Mmio("P", 0x1000, 0x10, registers)], new GuestMemoryOptions { ByteOrder = order });
        memory.WriteUInt32(new GuestAddress(0x1000), 0x1122_3344);                  // aligned: one handler call
        Assert.Equal(0x1122_3344UL, registers.Read(0, 4));
        Assert.Equal(0x1122_3344U, memory.ReadUInt32(new GuestAddress(0x1000)));
        byte first = memory.ReadByte(new GuestAddress(0x1000));                      // memory order
        Assert.Equal(order == ByteOrder.BigEndian ? 0x11 : 0x44, first);
        Assert.Equal(order == ByteOrder.BigEndian ? 0x3344 : 0x1122, memory.ReadUInt16(new GuestAddress(0x1002)));
        memory.WriteUInt64(new GuestAddress(0x1008), 0x0102_0304_0506_0708);
        Assert.Equal(0x0102_0304_0506_0708UL, memory.ReadUInt64(new GuestAddress(0x1008)));
        Assert.Equal(0x0102_0304_0506_0708UL, memory.Debug.ReadUInt64(new GuestAddress(0x1008)));
        Assert.Equal(0x0506_0708U, memory.ReadUInt32(new GuestAddress(order == ByteOrder.BigEndian ? 0x100CUL : 0x1008UL)));
    }
}
