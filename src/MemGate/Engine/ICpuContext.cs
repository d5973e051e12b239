namespace MemGate.Engine;

/// <summary>Every register of a CPU as <see cref="ICpuEngine.SaveContext()"/> saved it; only the engine that made it can put it back.</summary>
public interface ICpuContext : IDisposable;
