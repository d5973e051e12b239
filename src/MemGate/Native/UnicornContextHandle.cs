namespace MemGate.Native;

/// <summary>Owns a saved Unicorn CPU context (uc_context*: every register of the CPU) and frees it when released.</summary>
internal sealed class UnicornContextHandle : System.Runtime.InteropServices.SafeHandle
{
    /// <summary>Saves the CPU state of <paramref name="engine"/>.</summary>
    public static UnicornContextHandle Save(nint engine)
    {
        int error = Unicorn.ContextAlloc(engine, out nint context);
        if (error != 0)
        {
            throw new InvalidOperationException($"uc_context_alloc failed: {Unicorn.Describe(error)}");
        }
        var handle = new UnicornContextHandle(context);
        error = Unicorn.ContextSave(engine, context);
        if (error != 0)
        {
            handle.Dispose();
            throw new InvalidOperationException($"uc_context_save failed: {Unicorn.Describe(error)}");
        }
        return handle;
    }

    private UnicornContextHandle(nint context) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(context);

    /// <summary>Saves the CPU state of <paramref name="engine"/> into this context, over what it held.</summary>
    public void SaveFrom(nint engine)
    {
        int error = Unicorn.ContextSave(engine, handle);
        if (error != 0)
        {
            throw new InvalidOperationException($"uc_context_save failed: {Unicorn.Describe(error)}");
        }
    }

    /// <summary>Puts the saved state back into <paramref name="engine"/>.</summary>
    public void RestoreInto(nint engine)
    {
        int error = Unicorn.ContextRestore(engine, handle);
        if (error != 0)
        {
            throw new InvalidOperationException($"uc_context_restore failed: {Unicorn.Describe(error)}");
        }
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Unicorn.ContextFree(handle) == 0;
}
