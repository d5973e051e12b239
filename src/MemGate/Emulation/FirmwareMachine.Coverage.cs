namespace MemGate.Emulation;

// Edge coverage for fuzzers: the engine counts block transitions into a map the caller owns (AFL's
// shared memory, or a fuzzer's own), in native code, at every block.
public abstract partial class FirmwareMachine
{
    /// <summary>
    /// Counts every transition between basic blocks into <paramref name="map"/> (<paramref name="size"/> bytes,
    /// a power of two) as AFL does; 0 stops. The memory must stay valid while tracing.
    /// </summary>
    public void TraceEdges(nint map, int size) => _engine.TraceEdges(map, size);

    /// <summary>Starts edge counting afresh (the first block of the next run comes from nowhere).</summary>
    public void RestartEdges() => _engine.RestartEdges();
}
