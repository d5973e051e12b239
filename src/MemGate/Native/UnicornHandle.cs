using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>Owns a Unicorn engine (uc_engine*) and closes it when released.</summary>
internal sealed class UnicornHandle : SafeHandle
{
    /// <summary>Opens an engine; throws <see cref="InvalidOperationException"/> with Unicorn's message on failure.</summary>
    public static UnicornHandle Open(int arch, int mode)
    {
        int error = Unicorn.Open(arch, mode, out nint engine);
        return error == 0 ? new UnicornHandle(engine) : throw new InvalidOperationException($"uc_open(arch {arch}, mode 0x{mode:X}) failed: {Unicorn.Describe(error)}");
    }

    private UnicornHandle(nint engine) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(engine);

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Unicorn.Close(handle) == 0;
}
