using System.Text;
using MemGate.Processes;

namespace MemGate.Tests.Processes;

// Two child processes each: a source with memory, and a target running a link receiver. The test
// links, then writes through one process and reads through the other (process_vm_readv/writev).
public sealed class ProcessLinkTests
{
    [Fact]
    public void Memfd_memory_is_shared_both_ways_between_two_processes()
    {
        using var source = TargetProcess.Start("shared");
        using var target = TargetProcess.Start("receive");
        ulong at = source.Address("address");

        var link = ProcessLink.Link(source.Pid, target.Pid, at + 10, 0x1800);

        Assert.Equal((at, 0x2000UL, false), (link.SourceAddress, link.Size, link.IsCopy));
        Assert.StartsWith("pidfd_getfd", link.Method);
        Assert.StartsWith("/memfd:memgate", link.Region.Path);
        target.NextLine();
        Assert.Equal(link.TargetAddress, target.Address("linked"));
        Assert.Equal(source.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), target.NextValue("from"));

        Assert.Equal($"shared memory of {source.Pid}", ReadText(target.Pid, link.TargetAddress, $"shared memory of {source.Pid}".Length));
        ProcessMemory.Write(target.Pid, link.TargetAddress + 0x1000, "written by the target"u8);
        Assert.Equal("written by the target", ReadText(source.Pid, at + 0x1000, 21));
        ProcessMemory.Write(source.Pid, at + 0x1FF0, "by the source"u8);
        Assert.Equal("by the source", ReadText(target.Pid, link.TargetAddress + 0x1FF0, 13));
    }

    [Fact]
    public void A_shm_mapping_whose_descriptor_is_closed_is_linked_through_map_files_or_refused_with_why()
    {
        using var source = TargetProcess.Start("shm");
        using var target = TargetProcess.Start("receive");
        ulong at = source.Address("address");
        if (MemGate.Native.Libc.EffectiveUserId() == 0)
        {
            var link = ProcessLink.Link(source.Pid, target.Pid, at, 0x10000);
            Assert.Contains("map_files", link.Method);
            ProcessMemory.Write(source.Pid, at + 0x8000, "shm"u8);
            Assert.Equal("shm", ReadText(target.Pid, link.TargetAddress + 0x8000, 3));
        }
        else
        {
            var e = Assert.Throws<ProcessAccessException>(() => ProcessLink.Link(source.Pid, target.Pid, at, 0x10000));
            Assert.Contains("CAP_SYS_ADMIN", e.Message);
        }
    }

    [Fact]
    public void Private_anonymous_memory_is_refused_with_a_copy_offered_and_the_copy_is_a_snapshot()
    {
        using var source = TargetProcess.Start("private");
        using var target = TargetProcess.Start("receive");
        ulong at = source.Address("address");

        var e = Assert.Throws<ProcessAccessException>(() => ProcessLink.Link(source.Pid, target.Pid, at, 4096));
        Assert.Contains("private anonymous memory", e.Message);
        Assert.Contains("--copy", e.Message);

        var copy = ProcessLink.Copy(source.Pid, target.Pid, at, 4096);
        Assert.True(copy.IsCopy);
        string text = $"private memory of {source.Pid}";
        Assert.Equal(text, ReadText(target.Pid, copy.TargetAddress, text.Length));
        ProcessMemory.Write(source.Pid, at, "changed"u8);
        Assert.Equal(text, ReadText(target.Pid, copy.TargetAddress, text.Length));   // a copy: later writes stay in the source
    }

    [Fact]
    public void Bad_links_say_what_is_wrong_and_map_nothing()
    {
        using var source = TargetProcess.Start("shared");
        using var notReceiving = TargetProcess.Start("private");
        using var target = TargetProcess.Start("receive");
        ulong at = source.Address("address");

        var e = Assert.Throws<ProcessAccessException>(() => ProcessLink.Link(source.Pid, notReceiving.Pid, at, 4096));
        Assert.Contains("does not receive links", e.Message);
        Assert.Contains("memgate ps receive", e.Message);

        e = Assert.Throws<ProcessAccessException>(() => ProcessLink.Link(source.Pid, target.Pid, at, 2 << 20));
        Assert.Contains("runs past the end of mapping", e.Message);
        e = Assert.Throws<ProcessAccessException>(() => ProcessLink.Link(source.Pid, target.Pid, 0x1000, 4096));
        Assert.Contains("outside every mapping", e.Message);
        e = Assert.Throws<ProcessAccessException>(() => ProcessLink.Link(source.Pid, int.MaxValue, at, 4096));
        Assert.Contains("no process", e.Message);

        // An explicit target address that is taken there is an error, not a silent move.
        ulong taken = ProcessMaps.Read(target.Pid).First(r => r.CanRead).Start;
        e = Assert.Throws<ProcessAccessException>(() => ProcessLink.Link(source.Pid, target.Pid, at, 4096, taken));
        Assert.Contains("refused the link", e.Message);
        Assert.DoesNotContain(ProcessMaps.Read(target.Pid), r => r.Path.StartsWith("/memfd:memgate", StringComparison.Ordinal));
    }

    // A peer that connects and sends nothing is dropped after the receiver's timeout; the receiver stays usable and disposes.
    [Fact]
    public async Task A_silent_peer_does_not_hold_the_receiver()
    {
        using var source = TargetProcess.Start("shared");
        var receiver = ProcessLinkReceiver.Start();
        int errno = MemGate.Native.UnixSocket.TryConnect(ProcessLinkReceiver.SocketName(Environment.ProcessId), TimeSpan.FromSeconds(10), out var silent);
        Assert.Equal(0, errno);
        using (silent)
        {
            var link = ProcessLink.Link(source.Pid, Environment.ProcessId, source.Address("address"), 4096);
            Assert.Equal(link.TargetAddress, (ulong)Assert.Single(receiver.Links).Address);
            // Liveness, not speed: without the receive timeout Dispose would wait for the silent peer for ever.
            var disposing = Task.Run(receiver.Dispose);
            Assert.Same(disposing, await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromSeconds(30))));
        }
    }

    private static string ReadText(int pid, ulong address, int length)
    {
        var bytes = new byte[length];
        ProcessMemory.Read(pid, address, bytes);
        return Encoding.ASCII.GetString(bytes);
    }
}
