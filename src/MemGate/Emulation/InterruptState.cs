namespace MemGate.Emulation;

/// <summary>
/// The exception and interrupt controller in a <see cref="MachineState"/>, numbered as the controller numbers
/// them: NVIC exception numbers (IRQ n is 16 + n), GIC interrupt IDs, RISC-V interrupt causes (3 software, 7 timer, 11 external).
/// </summary>
/// <param name="Controller">Which (NVIC, GICv2, CLINT/mie-mip).</param>
/// <param name="Current">The exception being handled (IPSR on Cortex-M; the active interrupt with the highest priority elsewhere), or null in thread mode / none.</param>
/// <param name="Enabled">Enabled interrupts.</param>
/// <param name="Pending">Pending interrupts.</param>
/// <param name="Active">Active interrupts (being handled, or preempted while handled).</param>
public sealed record InterruptState(string Controller, int? Current, IReadOnlyList<int> Enabled, IReadOnlyList<int> Pending, IReadOnlyList<int> Active);
