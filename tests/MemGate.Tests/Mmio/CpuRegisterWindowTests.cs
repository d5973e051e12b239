using CsCheck;
using MemGate.Devices;
using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Tests.Mmio;

public sealed class CpuRegisterWindowTests
{
    private static readonly CpuRegister[] Registers =
        [new("A", 1), new("B", 2), new("C", 4), new("D", 8), new("E", 1), new("F", 2)];

    // Accesses of every width at every offset, unaligned and across registers, against a byte model
    // that stores each register's bytes in the CPU's order.
    [Fact]
    public void Any_width_at_any_offset_matches_a_byte_model()
    {
        int size = Registers.Sum(r => r.SizeBytes);
        var op = Gen.Select(Gen.Bool, Gen.Int[0, size - 1], Gen.Int[1, 8], Gen.ULong);
        Gen.Select(Gen.Bool, op.Array[1, 100]).Sample(t =>
        {
            var (bigEndian, ops) = t;
            var order = bigEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian;
            var file = new ArrayRegisterFile(Registers);
            var window = new CpuRegisterWindow("W", file, Registers.Select(r => r.Name), order);
            var bytes = new byte[size];
            foreach (var (write, offset, width, value) in ops)
            {
                int n = Math.Min(width, size - offset);
                if (write)
                {
                    window.Write((ulong)offset, n, value);
                    for (int k = 0; k < n; k++)
                    {
                        bytes[offset + k] = (byte)(value >> (8 * (bigEndian ? n - 1 - k : k)));
                    }
                }
                else
                {
                    ulong expected = 0;
                    for (int k = 0; k < n; k++)
                    {
                        expected |= (ulong)bytes[offset + k] << (8 * (bigEndian ? n - 1 - k : k));
                    }
                    Assert.Equal(expected, window.Read((ulong)offset, n));
                }
            }
            // The registers hold the bytes in the CPU's order.
            int at = 0;
            for (int i = 0; i < Registers.Length; i++)
            {
                ulong expected = 0;
                int w = Registers[i].SizeBytes;
                for (int j = 0; j < w; j++)
                {
                    expected |= (ulong)bytes[at + j] << (8 * (bigEndian ? w - 1 - j : j));
                }
                Assert.Equal(expected, file.Read(i));
                at += w;
            }
        }, iter: 1000);
    }

    [Fact]
    public void Outside_the_window_is_a_guest_fault()
    {
        var file = new ArrayRegisterFile([new CpuRegister("A", 2)]);
        var window = new CpuRegisterWindow("W", file, ["A"], baseAddress: 0x5D);
        var e = Assert.Throws<GuestMemoryException>(() => window.Read(1, 2));
        Assert.Equal(GuestFault.NoRegister, e.Fault);
        Assert.Throws<ArgumentException>(() => new CpuRegisterWindow("W", file, ["Z"]));
    }

    [Theory]
    [InlineData("ATmega328")]
    [InlineData("ATmega2560")]
    public void Avr_register_file_and_stack_pointer_live_in_the_data_space(string template)
    {
        using var device = DeviceMemory.Allocate(DeviceTemplates.Load(template));
        var data = device["data"];
        var cpu = device.CpuRegisters;

        data.WriteByte(new GuestAddress(5), 0x42);                 // STS 0x0005 writes R5
        Assert.Equal(0x42UL, cpu.Read(cpu.IndexOf("R5")));
        cpu.Write(cpu.IndexOf("R31"), 0x12);
        cpu.Write(cpu.IndexOf("R30"), 0x34);
        Assert.Equal(0x1234, data.ReadUInt16(new GuestAddress(30))); // Z = R31:R30, little endian
        Assert.Equal(0x1234_0000U, data.ReadUInt32(new GuestAddress(28)) & 0xFFFF_0000);

        data.WriteUInt16(new GuestAddress(0x5D), 0x08FF);           // SPL/SPH = RAMEND
        Assert.Equal(0x08FFUL, cpu.Read(cpu.IndexOf("SP")));
        Assert.Equal(0xFF, data.ReadByte(new GuestAddress(0x5D)));
        Assert.Equal(0x08, data.ReadByte(new GuestAddress(0x5E)));
        data.WriteByte(new GuestAddress(0x5F), 0x80);               // SEI: SREG.I
        Assert.Equal(0x80UL, cpu.Read(cpu.IndexOf("SREG")));
        // An unaligned 4-byte read across I/O and the CPU registers.
        Assert.Equal(0x8008_FF00U & 0xFFFF_FF00, data.ReadUInt32(new GuestAddress(0x5C)) & 0xFFFF_FF00);
    }

    [Theory]
    [InlineData("R0-R3:1", 4)]
    [InlineData("SP:2, SREG:1", 3)]
    [InlineData("A:8,B", 9)]
    public void Layouts_parse(string text, int bytes)
    {
        Assert.True(RegisterLayout.TryParse(text, out var registers, out _));
        Assert.Equal(bytes, registers.Sum(r => r.SizeBytes));
    }

    [Theory]
    [InlineData("R3-R0:1", "n <= m")]
    [InlineData("A:9", "1 to 8 bytes")]
    [InlineData("1x", "not NAME")]
    [InlineData("", "names no register")]
    public void Bad_layouts_say_why(string text, string message)
    {
        Assert.False(RegisterLayout.TryParse(text, out _, out string? error));
        Assert.Contains(message, error);
    }
}
