using MemGate.Memory;
using MemGate.Memory.Backing;
using MemGate.Native;

namespace MemGate.Tests.Memory;

public sealed class SharedMemoryBackingTests
{
    private sealed class Recorder : IBackingProvider
    {
        public List<SharedMemoryBacking> Backings { get; } = [];

        public HostBacking Reserve(ulong length)
        {
            var backing = SharedMemoryBacking.Reserve(length, "test");
            Backings.Add(backing);
            return backing;
        }
    }

    [Theory]
    [InlineData(32)]   // flat: one memfd for the whole space
    [InlineData(64)]   // region table: a memfd per region
    public unsafe void A_second_mapping_of_the_memfd_sees_guest_writes_and_removal_zeroes_the_pages(int width)
    {
        var provider = new Recorder();
        using var memory = GuestMemory.Create([GuestRegion.Ram("ram", 0x2000_0000, 0x4000)], new GuestMemoryOptions { AddressWidth = width, BackingProvider = provider });
        var backing = Assert.Single(provider.Backings);
        ulong offset = (ulong)(memory.Translate(new GuestAddress(0x2000_1000)) - backing.Pointer);

        nint other = Libc.MmapOrThrow(0, 4096, Libc.ProtRead | Libc.ProtWrite, Libc.MapShared, (int)backing.FileHandle.DangerousGetHandle(), (long)offset);
        try
        {
            memory.WriteUInt32(new GuestAddress(0x2000_1010), 0xC0FFEE);
            Assert.Equal(0xC0FFEEu, *(uint*)(other + 0x10));
            *(uint*)(other + 0x20) = 0xBADF00D;
            Assert.Equal(0xBADF00Du, memory.ReadUInt32(new GuestAddress(0x2000_1020)));

            // Removal must free the memfd's pages, not only the guest's view of them: the other mapping reads zero.
            Assert.True(memory.RemoveRegion("ram"));
            Assert.Equal(0u, *(uint*)(other + 0x10));
            Assert.Equal(0u, *(uint*)(other + 0x20));
        }
        finally
        {
            Libc.MunmapOrThrow(other, 4096);
        }
    }
}
