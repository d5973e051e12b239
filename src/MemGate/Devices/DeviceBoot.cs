namespace MemGate.Devices;

/// <summary>
/// How the device starts, when the file says so (imports from Fuzzware carry it): where execution
/// begins, the initial stack pointer and the vector table. Null values come from the firmware image.
/// </summary>
/// <param name="EntryPoint">First instruction executed.</param>
/// <param name="InitialStackPointer">Initial SP.</param>
/// <param name="VectorTable">Address of the interrupt vector table.</param>
public sealed record DeviceBoot(ulong? EntryPoint = null, ulong? InitialStackPointer = null, ulong? VectorTable = null)
{
    /// <summary>True when nothing is set.</summary>
    public bool IsEmpty => EntryPoint is null && InitialStackPointer is null && VectorTable is null;
}
