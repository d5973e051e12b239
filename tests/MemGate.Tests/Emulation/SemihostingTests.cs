using System.Text;
using MemGate.Emulation;
using MemGate.Memory;

namespace MemGate.Tests.Emulation;

// The operations newlib's rdimon start-up and stdio use, with parameter blocks in guest memory.
public sealed class SemihostingTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void Tt_handles_route_stdout_and_stderr_and_startup_queries_answer(int wordBytes)
    {
        using var memory = GuestMemory.Create([GuestRegion.Ram("RAM", 0x1000, 0x1000)]);
        var output = new StringWriter();
        var error = new StringWriter();
        var host = new Semihosting(memory, output, error, wordBytes, ticks: () => 0, ticksPerSecond: 1);
        ulong block = 0x1800;
        void Words(params ulong[] words)
        {
            for (int i = 0; i < words.Length; i++)
            {
                if (wordBytes == 4)
                {
                    memory.WriteUInt32(new GuestAddress(block + 4 * (ulong)i), (uint)words[i]);
                }
                else
                {
                    memory.WriteUInt64(new GuestAddress(block + 8 * (ulong)i), words[i]);
                }
            }
        }
        memory.Write(new GuestAddress(0x1100), ":tt\0out\0err\0"u8);

        Words(0x1100, 0, 3);                                        // open(":tt", "r"): nonzero, as the specification asks
        Assert.Equal((1UL, (int?)null), host.Call(Semihosting.SysOpen, block));
        Words(0x1100, 4, 3);                                        // open(":tt", "w")
        Assert.Equal((2UL, (int?)null), host.Call(Semihosting.SysOpen, block));
        Words(0x1100, 8, 3);                                        // open(":tt", "a")
        Assert.Equal(3UL, host.Call(Semihosting.SysOpen, block).Result);
        Words(0x1104, 0, 3);                                        // open("out", "r"): files are not opened
        Assert.Equal(wordBytes == 4 ? 0xFFFF_FFFFUL : ulong.MaxValue, host.Call(Semihosting.SysOpen, block).Result);

        Words(2, 0x1104, 3);
        Assert.Equal(0UL, host.Call(Semihosting.SysWrite, block).Result);   // 0 bytes left unwritten
        Words(3, 0x1108, 3);
        host.Call(Semihosting.SysWrite, block);
        Assert.Equal(0UL, host.Call(Semihosting.SysErrno, 0).Result);
        Words(77, 0x1104, 3);                                        // a handle nothing opened: nothing written, EBADF
        Assert.Equal(3UL, host.Call(Semihosting.SysWrite, block).Result);
        Assert.Equal(9UL, host.Call(Semihosting.SysErrno, 0).Result);
        Assert.Equal(("out", "err"), (output.ToString(), error.ToString()));

        Words(1, 0x1400, 16);
        Assert.Equal(16UL, host.Call(Semihosting.SysRead, block).Result);  // no input: all 16 left, end of file
        Words(2);
        Assert.Equal(1UL, host.Call(Semihosting.SysIsTty, block).Result);
        Words(0);
        Assert.Equal(wordBytes == 4 ? 0xFFFF_FFFFUL : ulong.MaxValue, host.Call(Semihosting.SysIsTty, block).Result);
        Assert.Equal(wordBytes == 4 ? 0xFFFF_FFFFUL : ulong.MaxValue, host.Call(Semihosting.SysClose, block).Result);

        memory.WriteUInt32(new GuestAddress(0x1200), 0xAAAAAAAA);
        Words(0x1200, 64);                                           // get_cmdline(buffer, 64)
        Assert.Equal(0UL, host.Call(Semihosting.SysGetCmdline, block).Result);
        Assert.Equal(0, memory.ReadByte(new GuestAddress(0x1200)));

        Words(0x1300);                                               // heapinfo: a pointer to four words
        memory.Write(new GuestAddress(0x1300), Enumerable.Repeat((byte)0xFF, 32).ToArray());
        host.Call(Semihosting.SysHeapInfo, block);
        var info = new byte[4 * wordBytes];
        memory.Read(new GuestAddress(0x1300), info);
        Assert.All(info, b => Assert.Equal(0, b));

        Words(0x20026, 7);
        var exit = wordBytes == 4 ? host.Call(Semihosting.SysExitExtended, block) : host.Call(Semihosting.SysExit, block);
        Assert.Equal(7, exit.ExitCode);
        var e = Assert.Throws<NotSupportedException>(() => host.Call(0x12, block));   // SYS_SYSTEM
        Assert.Contains("0x12", e.Message);
    }

    // The clocks read the machine's time (here set by hand), so a run sees the same values every time.
    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void Clocks_read_the_machines_time_in_the_callers_layout(int wordBytes)
    {
        using var memory = GuestMemory.Create([GuestRegion.Ram("RAM", 0x1000, 0x1000)]);
        ulong now = 0x1_2345_6789;   // past 32 bits: SYS_ELAPSED's AArch32 block holds it in two words
        var host = new Semihosting(memory, TextWriter.Null, TextWriter.Null, wordBytes, ticks: () => now, ticksPerSecond: 1_000_000_000);
        ulong block = 0x1800;
        memory.Write(new GuestAddress(block), Enumerable.Repeat((byte)0xEE, 16).ToArray());

        Assert.Equal((0UL, (int?)null), host.Call(Semihosting.SysElapsed, block));
        if (wordBytes == 4)
        {
            Assert.Equal(0x2345_6789u, memory.ReadUInt32(new GuestAddress(block)));
            Assert.Equal(1u, memory.ReadUInt32(new GuestAddress(block + 4)));
            Assert.Equal(0xEEEE_EEEEu, memory.ReadUInt32(new GuestAddress(block + 8)));
        }
        else
        {
            Assert.Equal(now, memory.ReadUInt64(new GuestAddress(block)));
            Assert.Equal(0xEEEE_EEEE_EEEE_EEEEUL, memory.ReadUInt64(new GuestAddress(block + 8)));
        }
        Assert.Equal(1_000_000_000UL, host.Call(Semihosting.SysTickFreq, 0).Result);
        Assert.Equal(488UL, host.Call(Semihosting.SysClock, 0).Result);   // 4.886 s in centiseconds
        now += 10_000_000;
        Assert.Equal(489UL, host.Call(Semihosting.SysClock, 0).Result);

        long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        ulong time = host.Call(Semihosting.SysTime, 0).Result;
        Assert.InRange((long)time, before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        ulong minusOne = wordBytes == 4 ? 0xFFFF_FFFFUL : ulong.MaxValue;
        foreach (var (status, error) in new[] { (minusOne, 1UL), (0UL, 0UL), (5UL, 0UL) })
        {
            if (wordBytes == 4)
            {
                memory.WriteUInt32(new GuestAddress(block), (uint)status);
            }
            else
            {
                memory.WriteUInt64(new GuestAddress(block), status);
            }
            Assert.Equal(error, host.Call(Semihosting.SysIsError, block).Result);
        }
    }
}
