using MemGate.Native;

namespace MemGate.Engine;

/// <summary>A Unicorn CPU context (<c>uc_context</c>) and the engine it belongs to.</summary>
internal sealed class UnicornCpuContext(UnicornEngine engine, UnicornContextHandle handle) : ICpuContext
{
    public UnicornEngine Engine { get; } = engine;

    public UnicornContextHandle Handle { get; } = handle;

    public void Dispose() => Handle.Dispose();
}
