namespace MemGate.Emulation;

/// <summary>
/// A machine's state at one moment (<see cref="FirmwareMachine.CaptureState"/>): CPU registers, the exception
/// and interrupt controller, and the stored value of every register of every register block (peripheral models
/// and SVD peripherals). Captured without side effects: nothing is read through a model's read action, so a
/// status flag a model computes when the firmware reads it shows its stored value.
/// </summary>
/// <param name="Device">The device's name.</param>
/// <param name="Cpu">The CPU.</param>
/// <param name="Instructions">Instructions executed in the current or last run.</param>
/// <param name="Registers">The CPU's registers (PC is where the firmware was, also after it exited or faulted).</param>
/// <param name="Interrupts">The controller's state, when the machine has one.</param>
/// <param name="Peripherals">Every register block, by address.</param>
public sealed record MachineState(string Device, string Cpu, ulong Instructions, IReadOnlyList<RegisterState> Registers, InterruptState? Interrupts,
    IReadOnlyList<PeripheralState> Peripherals);
