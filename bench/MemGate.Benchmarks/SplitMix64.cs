namespace MemGate.Benchmarks;

/// <summary>The SplitMix64 generator the workloads are specified with (so runs are reproducible across implementations).</summary>
public struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, bound).</summary>
    public ulong Below(ulong bound) => Next() % bound;
}
