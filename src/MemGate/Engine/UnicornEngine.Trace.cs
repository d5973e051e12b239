using System.Runtime.InteropServices;
using MemGate.Native;

namespace MemGate.Engine;

// Every instruction, through one code hook over the whole address space, installed while anyone wants it:
// the owner's events (watchpoints stop at the next instruction) and an observer (instruction traces).
internal sealed unsafe partial class UnicornEngine
{
    private IInstructionObserver? _observer;
    private bool _reportEvery;
    private nint _everyInstruction;   // the hook, while installed

    /// <inheritdoc/>
    public void ObserveInstructions(IInstructionObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        if (_observer is not null)
        {
            throw new InvalidOperationException("The engine already reports its instructions to an observer.");
        }
        _observer = observer;
        UpdateEveryInstructionHook();
    }

    /// <inheritdoc/>
    public void ReportEveryInstruction(bool enabled)
    {
        _reportEvery = enabled;
        UpdateEveryInstructionHook();
    }

    private void UpdateEveryInstructionHook()
    {
        bool wanted = _reportEvery || _observer is not null;
        if (wanted == (_everyInstruction != 0))
        {
            return;
        }
        if (wanted)
        {
            // begin 1 > end 0: every address (unicorn.h). Code translated before has no call to the hook: translate again.
            Check(Unicorn.HookAdd(Handle, out _everyInstruction, Unicorn.HookCode, (delegate* unmanaged<nint, ulong, uint, nint, void>)&OnEveryInstruction, Self, 1, 0), "uc_hook_add(CODE, all)");
            Check(Unicorn.Control(Handle, Unicorn.CtlWriteTbFlush, 0L), "uc_ctl(TB_FLUSH)");
        }
        else
        {
            Check(Unicorn.HookDel(Handle, _everyInstruction), "uc_hook_del(CODE, all)");
            _everyInstruction = 0;
        }
    }

    [UnmanagedCallersOnly]
    private static void OnEveryInstruction(nint engine, ulong address, uint size, nint user)
    {
        var self = From(user);
        try
        {
            self._observer?.Executing(address, size);
            if (self._reportEvery)
            {
                self.Events.InstructionStarting(address, size);
            }
        }
        catch (Exception e)
        {
            self.Fail(e);
        }
    }
}
