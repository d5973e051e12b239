using System.Runtime.InteropServices;
using MemGate.Native;

namespace MemGate.Engine;

// Every instruction to an observer (instruction traces), through a code hook over the whole address space.
internal sealed unsafe partial class UnicornEngine
{
    private IInstructionObserver? _observer;

    /// <inheritdoc/>
    public void ObserveInstructions(IInstructionObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        if (_observer is not null)
        {
            throw new InvalidOperationException("The engine already reports its instructions to an observer.");
        }
        _observer = observer;
        // begin 1 > end 0: every address (unicorn.h).
        Check(Unicorn.HookAdd(Handle, out _, Unicorn.HookCode, (delegate* unmanaged<nint, ulong, uint, nint, void>)&OnObservedInstruction, Self, 1, 0), "uc_hook_add(CODE, all)");
    }

    [UnmanagedCallersOnly]
    private static void OnObservedInstruction(nint engine, ulong address, uint size, nint user)
    {
        var self = From(user);
        try
        {
            self._observer?.Executing(address, size);
        }
        catch (Exception e)
        {
            self.Fail(e);
        }
    }
}
