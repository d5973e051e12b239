namespace MemGate.Devices;

/// <summary>What a <see cref="DeviceHook"/> does.</summary>
public enum DeviceHookAction
{
    /// <summary>End the run (outcome "reached", as <c>--stop-at</c>).</summary>
    Stop,

    /// <summary>Return from the function at once (Cortex-M: PC = LR), optionally with a value.</summary>
    Return,
}
