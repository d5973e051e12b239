using MemGate.Emulation;
using MemGate.Peripherals.Arm;

namespace MemGate.Tests.Emulation;

public sealed class FloatingPointUnitTests
{
    // Reset and write masks as QEMU 7.2's v7-M model has them (ARMv7-M B3.2.20-B3.2.25).
    [Fact]
    public void Registers_reset_and_keep_the_bits_v7m_defines()
    {
        var fpu = new FloatingPointUnit();
        Assert.Equal(0xC000_0000UL, fpu.Block.Read(0x00, 4));   // FPCCR: ASPEN | LSPEN
        Assert.Equal(0x1011_0021UL, fpu.Block.Read(0x0C, 4));   // MVFR0
        Assert.Equal(0x1100_0011UL, fpu.Block.Read(0x10, 4));   // MVFR1
        fpu.Block.Write(0x00, 4, 0xFFFF_FFFF);
        fpu.Block.Write(0x04, 4, 0x2000_FFFF);
        fpu.Block.Write(0x08, 4, 0xFFFF_FFFF);
        fpu.CpacrBlock.Write(0x0, 4, 0xFFFF_FFFF);
        Assert.Equal(0xC000_017BUL, fpu.Block.Read(0x00, 4));
        Assert.Equal(0x2000_FFF8UL, fpu.Block.Read(0x04, 4));
        Assert.Equal(0x07C0_0000UL, fpu.Block.Read(0x08, 4));
        Assert.Equal(0x00F0_0000UL, fpu.CpacrBlock.Read(0x0, 4));
        fpu.Reset();
        Assert.Equal(0UL, fpu.Cpacr);
        Assert.Equal(0xC000_0000UL, fpu.Fpccr);
    }

    // CP10 decides: 0b00 and 0b10 deny, 0b01 allows privileged code only, 0b11 everyone (B3.2.20).
    [Theory]
    [InlineData(0b00, false, false)]
    [InlineData(0b01, true, false)]
    [InlineData(0b10, false, false)]
    [InlineData(0b11, true, true)]
    public void Cp10_decides_who_may_use_the_fpu(ulong cp10, bool privileged, bool unprivileged)
    {
        var fpu = new FloatingPointUnit();
        fpu.CpacrBlock.Write(0x0, 4, (cp10 | cp10 << 2) << 20);
        Assert.Equal(privileged, fpu.Allows(privileged: true));
        Assert.Equal(unprivileged, fpu.Allows(privileged: false));
    }
}
