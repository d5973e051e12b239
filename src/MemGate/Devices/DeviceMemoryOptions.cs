using MemGate.Memory.Backing;
using MemGate.Mmio;

namespace MemGate.Devices;

/// <summary>How <see cref="DeviceMemory.Allocate(DeviceDescription, DeviceMemoryOptions?)"/> backs a device.</summary>
public sealed record DeviceMemoryOptions
{
    /// <summary>Where region <c>file</c> and the device's <c>svd</c> paths are relative to; the current directory if null.</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>Host memory for spaces wider than 32 bits; anonymous mmap if null.</summary>
    public IBackingProvider? Backing { get; init; }

    /// <summary>The CPU register file the registers regions show; an array file with every mapped register if null.</summary>
    public ICpuRegisterFile? Registers { get; init; }

    /// <summary>Records every access to peripheral and register regions, if set.</summary>
    public MmioTrace? Trace { get; init; }

    /// <summary>Behavioural models attached in the peripheral regions before SVD blocks (which skip the addresses models take).</summary>
    public IReadOnlyList<PeripheralBlock> Models { get; init; } = [];

    /// <summary>Serves unmodelled reads of regions whose policy is <see cref="UnmodelledPolicy.Input"/>; the device's <c>[[mmio_models]]</c> are given to it.</summary>
    public MmioInput? MmioInput { get; init; }

    /// <summary>The PC of the instruction making an access, for MMIO models keyed by access site; 0 if null.</summary>
    public Func<ulong>? ProgramCounter { get; init; }

    /// <summary>Receives a line per unmodelled peripheral access (policies ignore and record).</summary>
    public Action<string>? Log { get; init; }
}
