using MemGate.Devices;
using MemGate.Engine;
using MemGate.Memory.Backing;
using MemGate.Mmio;

namespace MemGate.Emulation;

/// <summary>How <see cref="FirmwareMachine.Create"/> builds a machine; every setting is optional.</summary>
public sealed record FirmwareMachineOptions
{
    /// <summary>Where the device's files (init files, SVD) are relative to.</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>Records every peripheral access, with the program counter.</summary>
    public MmioTrace? Trace { get; init; }

    /// <summary>Serves unmodelled MMIO reads of regions whose policy is <c>input</c>; rewound at every run from reset. When it runs out, the run ends with <see cref="RunOutcome.InputExhausted"/>.</summary>
    public MmioInput? MmioInput { get; init; }

    /// <summary>Where the firmware's standard error (semihosting handle 2) goes; default: the output.</summary>
    public TextWriter? ErrorOutput { get; init; }

    /// <summary>Where guest RAM and flash come from; <see cref="SharedMemoryBackingProvider"/> makes them memfds other processes can map (<c>memgate ps link</c>).</summary>
    public IBackingProvider? Backing { get; init; }

    /// <summary>UARTs whose transmitted bytes go somewhere else than the machine's output (a socket), by peripheral name.</summary>
    public IReadOnlyDictionary<string, TextWriter>? SerialOutputs { get; init; }

    /// <summary>Makes the CPU engine for a device; default: Unicorn's for the device's CPU (tests may bring another).</summary>
    internal Func<DeviceDescription, ICpuEngine>? EngineFactory { get; init; }
}
