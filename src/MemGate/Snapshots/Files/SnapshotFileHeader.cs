namespace MemGate.Snapshots.Files;

/// <summary>
/// What a snapshot file says about itself (its JSON header; see docs/snapshot-format.md): the machine and
/// device it was taken of, the CPU's registers, and where the models' state and each memory area's pages are.
/// </summary>
/// <param name="Machine">The machine kind (cortex-m, riscv, aarch64).</param>
/// <param name="Device">The device, with its description so the file alone can rebuild it.</param>
/// <param name="Firmware">The firmware image the run started from, if one was loaded (path and SHA-256), for its symbols.</param>
/// <param name="Instructions">Instructions executed from reset when the snapshot was taken.</param>
/// <param name="Engine">The CPU engine's version.</param>
/// <param name="CreatedUtc">When it was written.</param>
/// <param name="Cpu">Every CPU register by name, as hexadecimal little-endian bytes.</param>
/// <param name="Models">The peripheral models' state (an opaque blob of MemGate's own encoding).</param>
/// <param name="Areas">The memory, one entry per run of host pages.</param>
public sealed record SnapshotFileHeader(string Machine, SnapshotDevice Device, SnapshotFirmware? Firmware, ulong Instructions, string Engine,
    DateTime CreatedUtc, IReadOnlyList<SnapshotRegisterValue> Cpu, SnapshotBlob Models, IReadOnlyList<SnapshotArea> Areas);
