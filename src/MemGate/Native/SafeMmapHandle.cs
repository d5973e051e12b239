using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>Owns one mmap'ed host range and unmaps it when released.</summary>
internal sealed class SafeMmapHandle : SafeHandle
{
    /// <summary>Maps <paramref name="length"/> bytes with the given protection and flags.</summary>
    public static SafeMmapHandle Map(ulong length, int protection, int flags, nint address = 0, int fd = -1, long offset = 0)
    {
        nint pointer = Libc.MmapOrThrow(address, length, protection, flags, fd, offset);
        return new SafeMmapHandle(pointer, length);
    }

    /// <summary>Takes ownership of a range mapped elsewhere (unmapped on release).</summary>
    public static SafeMmapHandle Adopt(nint pointer, ulong length) => new(pointer, length);

    private SafeMmapHandle(nint pointer, ulong length) : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(pointer);
        Length = length;
    }

    /// <summary>Start of the mapping.</summary>
    public nint Pointer => handle;

    /// <summary>Length of the mapping in bytes.</summary>
    public ulong Length { get; }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero || handle == Libc.MapFailed;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Libc.Munmap(handle, (nuint)Length) == 0;
}
