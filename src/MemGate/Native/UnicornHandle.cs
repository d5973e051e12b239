using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>Owns a Unicorn engine (uc_engine*) and closes it when released.</summary>
internal sealed class UnicornHandle : SafeHandle
{
    /// <summary>Takes ownership of an engine <c>uc_open</c> returned.</summary>
    public static UnicornHandle Adopt(nint engine) => new(engine);

    private UnicornHandle(nint engine) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(engine);

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Unicorn.Close(handle) == 0;
}
