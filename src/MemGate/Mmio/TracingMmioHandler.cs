using MemGate.Memory;

namespace MemGate.Mmio;

/// <summary>Passes accesses to <paramref name="inner"/> and records each in <paramref name="trace"/>, named through <see cref="IRegisterNames"/>.</summary>
/// <param name="inner">The handler that serves the region.</param>
/// <param name="trace">Where accesses are recorded.</param>
/// <param name="region">The region's name.</param>
/// <param name="baseAddress">Guest address of offset 0.</param>
public sealed class TracingMmioHandler(IMmioHandler inner, MmioTrace trace, string region, ulong baseAddress) : IMmioHandler, IRegisterNames
{
    /// <summary>The handler being traced.</summary>
    public IMmioHandler Inner => inner;

    /// <inheritdoc/>
    public ulong Read(ulong offset, int size)
    {
        ulong value = inner.Read(offset, size);
        var (peripheral, register) = Describe(offset);
        trace.Record(baseAddress + offset, size, value, isWrite: false, region, peripheral, register);
        return value;
    }

    /// <inheritdoc/>
    public void Write(ulong offset, int size, ulong value)
    {
        inner.Write(offset, size, value);
        var (peripheral, register) = Describe(offset);
        trace.Record(baseAddress + offset, size, value, isWrite: true, region, peripheral, register);
    }

    /// <inheritdoc/>
    public (string? Peripheral, string? Register) Describe(ulong offset) => inner is IRegisterNames names ? names.Describe(offset) : (null, null);
}
