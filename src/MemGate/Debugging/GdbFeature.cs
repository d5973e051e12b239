namespace MemGate.Debugging;

/// <summary>A feature of a GDB target description (<c>org.gnu.gdb.arm.m-profile</c> …) and its registers, in 'g' packet order.</summary>
internal sealed record GdbFeature(string Name, IReadOnlyList<GdbRegister> Registers);
