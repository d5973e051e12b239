using MemGate.Native;
using Microsoft.Win32.SafeHandles;

namespace MemGate.Memory.Backing;

/// <summary>
/// Host memory from a memfd mapped MAP_SHARED: the same pages can be mapped by another process
/// (pass <see cref="FileHandle"/> over a unix socket, or let <c>memgate ps link</c> fetch it), so a
/// fuzzer or a second emulator sees the guest's memory live. Reserving is still instant: the memfd
/// is sparse and a page costs memory only once touched.
/// </summary>
public sealed class SharedMemoryBacking : HostBacking
{
    private SharedMemoryBacking(SafeMmapHandle mapping, ulong guard, ulong length, SafeFileHandle file) : base(mapping, guard, length)
    {
        FileHandle = file;
    }

    /// <summary>The memfd; offset 0 is the first usable byte. Kept open so other processes can obtain it.</summary>
    public SafeFileHandle FileHandle { get; }

    /// <summary>Reserves <paramref name="length"/> bytes of a new memfd called <paramref name="name"/> between two private guard pages.</summary>
    public static SharedMemoryBacking Reserve(ulong length, string name = "memgate")
    {
        ulong size = Libc.RoundUpToPage(length);
        ulong guard = (ulong)Libc.PageSize;
        var file = FileDescriptors.CreateMemfd(name, size);
        try
        {
            var mapping = SafeMmapHandle.Map(checked(size + 2 * guard), Libc.ProtNone, Libc.MapPrivate | Libc.MapAnonymous | Libc.MapNoReserve);
            // The memfd replaces the middle of the reservation; the guard pages around it stay.
            Libc.MmapOrThrow(mapping.Pointer + (nint)guard, size, Libc.ProtNone, Libc.MapShared | Libc.MapFixed, (int)file.DangerousGetHandle());
            return new SharedMemoryBacking(mapping, guard, size, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Pages of a memfd are removed (MADV_REMOVE): dropping only the mapping's pages would not zero them.</summary>
    private protected override int DiscardAdvice => FileDescriptors.MadvRemove;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        FileHandle.Dispose();
    }
}
