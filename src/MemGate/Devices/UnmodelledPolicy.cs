namespace MemGate.Devices;

/// <summary>What a device's peripheral regions do where no register is modelled (<c>[memory] unmodelled</c>).</summary>
public enum UnmodelledPolicy
{
    /// <summary>Plain registers: reads return what was written (the default).</summary>
    Plain,

    /// <summary>A guest fault.</summary>
    Fault,

    /// <summary>Reads return zero, writes are dropped, each access is logged.</summary>
    Ignore,

    /// <summary>As <see cref="Ignore"/>, and every access is recorded.</summary>
    Record,

    /// <summary>Reads take their bytes from the run's MMIO input (as Fuzzware serves unmodelled MMIO), writes are dropped; the run ends when the input runs out.</summary>
    Input,
}
