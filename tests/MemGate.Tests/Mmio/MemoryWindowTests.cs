using MemGate.Memory;
using MemGate.Mmio;

namespace MemGate.Tests.Mmio;

/// <summary>Aliases tell a debugger, per read and as the target is laid out now, whether reading them reaches memory only.</summary>
public sealed class MemoryWindowTests
{
    [Fact]
    public void A_window_shows_memory_only_where_its_target_is_memory()
    {
        var plain = new PlainRegisters(0x100);
        using var memory = GuestMemory.Create(
        [
            GuestRegion.Ram("SRAM", 0x2000_0000, 0x400),
            GuestRegion.Mmio("UART", 0x2000_0400, 0x100, plain),
        ]);
        var bitBand = new BitBandHandler(memory, new GuestAddress(0x2000_0000));
        Assert.True(bitBand.ShowsMemoryOnly(0, 4));
        Assert.True(bitBand.ShowsMemoryOnly(0x3FF * 32, 32));       // the last byte of SRAM, bit by bit
        Assert.False(bitBand.ShowsMemoryOnly(0x3FF * 32, 64));      // and on into the UART's first byte
        Assert.False(bitBand.ShowsMemoryOnly(0x400 * 32, 4));
        var mirror = new MirrorHandler(memory, new GuestAddress(0x2000_0000));
        Assert.True(mirror.ShowsMemoryOnly(0, 0x400));
        Assert.False(mirror.ShowsMemoryOnly(0x3FC, 8));
        Assert.False(new MirrorHandler(memory, new GuestAddress(0x3000_0000)).ShowsMemoryOnly(0, 4));   // nothing there
    }
}
