using MemGate.Memory;

namespace MemGate.Engine;

/// <summary>
/// Whether the CPU's own MMU, in its present state, would map <paramref name="page"/> to the same physical
/// address and allow <paramref name="access"/> with no fault of its own (no MPU, PMP or page table in the way).
/// If so, the engine maps the page itself (see <see cref="ICpuEngine.TranslateDirectly"/>); if not, the
/// CPU's MMU decides, and raises the guest's fault where there is one.
/// </summary>
/// <remarks>Called on the engine's thread, from inside a run, when a page enters the engine's TLB.</remarks>
public delegate bool DirectTranslationRule(ulong page, AccessKind access);
