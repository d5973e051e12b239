using System.Globalization;
using MemGate.Devices;
using MemGate.Firmware;
using MemGate.Fuzzing;
using MemGate.Memory;
using MemGate.Snapshots;

namespace MemGate.Tests.Fuzzing;

/// <summary>
/// Workers of one campaign keep their flash once: each target's flash pages are the same sealed memfd's
/// (checked in /proc/self/maps), runs behave as without sharing, and a write that reaches shared flash stays
/// in the writer's own copy and is undone by its snapshot.
/// </summary>
public sealed class SharedFlashTests
{
    private const ulong Flash = 0x0800_0000;

    private static FuzzTarget Target(SharedFlash? shared, string elf) =>
        FuzzTarget.Create(DeviceTemplates.Load("STM32F103"), FirmwareReader.Load(elf), new FuzzTargetOptions { SharedFlash = shared });

    // The /proc/self/maps line of the mapping holding `host`: its device:inode and path.
    private static (string Identity, string Path) MappingOf(nint host)
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            string[] range = fields[0].Split('-');
            ulong start = ulong.Parse(range[0], NumberStyles.HexNumber), end = ulong.Parse(range[1], NumberStyles.HexNumber);
            if ((ulong)host >= start && (ulong)host < end)
            {
                return ($"{fields[3]}:{fields[4]}", fields.Length > 5 ? fields[5].Trim() : "");
            }
        }
        throw new InvalidOperationException($"0x{host:x} is not mapped.");
    }

    private static nint HostOfFlash(FuzzTarget target) =>
        target.Machine.Memory.Main.TryTranslate(new GuestAddress(Flash), out nint host) ? host : throw new InvalidOperationException("no flash");

    [SkippableFact]
    public void TargetsOfOneFirmwareMapTheSameSealedCopyAndRunAsBefore()
    {
        Requires.WriteTracking();
        using var shared = new SharedFlash();
        using var alone = Target(null, FuzzTargetTests.Planted);
        using var first = Target(shared, FuzzTargetTests.Planted);
        using var second = Target(shared, FuzzTargetTests.Planted);

        Assert.Equal(1, shared.AreaCount);
        Assert.InRange(shared.SharedBytes, 4096UL, 128UL * 1024);
        var (a, b, own) = (MappingOf(HostOfFlash(first)), MappingOf(HostOfFlash(second)), MappingOf(HostOfFlash(alone)));
        Assert.Contains("memfd:memgate shared flash", a.Path);
        Assert.Equal(a, b);   // one memfd (same inode) behind both
        Assert.DoesNotContain("shared flash", own.Path);

        foreach (var target in new[] { first, second, alone })
        {
            var crash = target.Execute("FUZ!"u8);
            Assert.Equal(FuzzRunKind.Crash, crash.Kind);
            Assert.Matches("^write-fault@0x0800[0-9a-f]{4}$", crash.Signature);
            Assert.Equal("exit", target.Execute("FUZZ"u8).Reason);
        }
        Assert.Equal(first.Execute("FUZx"u8).Instructions, alone.Execute("FUZx"u8).Instructions);
    }

    [SkippableFact]
    public void AWriteToSharedFlashStaysPrivateAndTheSnapshotUndoesIt()
    {
        Requires.WriteTracking();
        using var shared = new SharedFlash();
        using var first = Target(shared, FuzzTargetTests.Planted);
        using var second = Target(shared, FuzzTargetTests.Planted);
        var memory = first.Machine.Memory.Main;
        uint original = memory.ReadUInt32(new GuestAddress(Flash));
        // What a debugger's or loader's write does: host-side, past the guest's permissions.
        unsafe
        {
            *(uint*)HostOfFlash(first) = 0xDEADBEEF;
        }
        Assert.Equal(0xDEADBEEFu, memory.ReadUInt32(new GuestAddress(Flash)));
        Assert.Equal(original, second.Machine.Memory.Main.ReadUInt32(new GuestAddress(Flash)));
        first.Execute("FUZZ"u8);   // starts from the snapshot: the written page is put back
        Assert.Equal(original, memory.ReadUInt32(new GuestAddress(Flash)));
    }

    [SkippableFact]
    public void AnotherFirmwareKeepsItsOwnFlash()
    {
        Requires.WriteTracking();
        string other = Path.Combine(AppContext.BaseDirectory, "Fixtures", "firmware", "hello.elf");
        using var shared = new SharedFlash();
        using var first = Target(shared, FuzzTargetTests.Planted);
        using var second = Target(shared, other);
        Assert.Contains("memfd:memgate shared flash", MappingOf(HostOfFlash(first)).Path);
        Assert.DoesNotContain("shared flash", MappingOf(HostOfFlash(second)).Path);
        Assert.Equal("exit", first.Execute("FUZZ"u8).Reason);
    }
}
