namespace MemGate.Engine;

/// <summary>Hears every instruction an engine executes (<see cref="ICpuEngine.ObserveInstructions"/>): for instruction traces.</summary>
public interface IInstructionObserver
{
    /// <summary>The instruction of <paramref name="size"/> bytes at <paramref name="address"/> is about to run (on the engine's thread).</summary>
    void Executing(ulong address, uint size);
}
