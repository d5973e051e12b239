namespace MemGate.Debugging;

/// <summary>A feature of a GDB target description (<c>org.gnu.gdb.arm.m-profile</c> …) and its registers, in 'g' packet order.</summary>
/// <param name="Name">The feature's name, which GDB's architecture code looks for.</param>
/// <param name="Registers">Its registers.</param>
/// <param name="Types">Type declarations (<c>vector</c>, <c>union</c>) the registers name, as XML; written before them.</param>
internal sealed record GdbFeature(string Name, IReadOnlyList<GdbRegister> Registers, string Types = "");
