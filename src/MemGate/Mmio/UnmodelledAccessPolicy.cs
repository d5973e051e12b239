namespace MemGate.Mmio;

/// <summary>What happens when firmware touches a peripheral's range where no register is modelled.</summary>
public enum UnmodelledAccessPolicy
{
    /// <summary>The access is a guest fault (<see cref="Memory.GuestFault.NoRegister"/>).</summary>
    Fault,

    /// <summary>Reads return zero, writes are dropped, and each access is logged.</summary>
    ReadZeroWriteIgnore,

    /// <summary>As <see cref="ReadZeroWriteIgnore"/>, and every access is kept in <see cref="RegisterBlock.Unmodelled"/>.</summary>
    Record,

    /// <summary>Reads take their value from the <see cref="MmioInput"/> (little-endian, as many bytes as the access is wide); writes are dropped.</summary>
    Input,
}
