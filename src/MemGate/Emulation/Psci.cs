namespace MemGate.Emulation;

/// <summary>
/// The Power State Coordination Interface (Arm DEN 0022) as QEMU 7.2's virt board answers it over HVC, its
/// conduit when the CPU has no EL2 or EL3: PSCI 1.1 for one CPU whose MPIDR affinity is 0. Every HVC is a call
/// (the function IDs of PSCI 0.2 and later, and the 0.1 IDs QEMU's device tree gives); any other function
/// returns NOT_SUPPORTED, as the SMC Calling Convention asks and QEMU does.
/// </summary>
internal static class Psci
{
    /// <summary>What the machine does after a call.</summary>
    public enum Effect
    {
        /// <summary>Go on after the HVC with the result in X0.</summary>
        Return,

        /// <summary>SYSTEM_OFF: the machine powers off (QEMU exits with status 0).</summary>
        SystemOff,

        /// <summary>SYSTEM_RESET: the machine resets (QEMU restarts it, or exits with status 0 under -no-reboot).</summary>
        SystemReset,

        /// <summary>CPU_OFF: the only CPU stops; nothing is left to run.</summary>
        CpuOff,
    }

    private const ulong Version = 0x8400_0000, CpuSuspend = 0x8400_0001, CpuOff = 0x8400_0002, CpuOn = 0x8400_0003,
        AffinityInfo = 0x8400_0004, MigrateInfoType = 0x8400_0006, SystemOff = 0x8400_0008,
        SystemReset = 0x8400_0009, Features = 0x8400_000A;
    private const ulong CpuSuspend64 = 0xC400_0001, CpuOn64 = 0xC400_0003, AffinityInfo64 = 0xC400_0004;   // the 64-bit forms
    private const ulong V01Base = 0x95C1_BA5E, V01CpuOff = V01Base + 1, V01CpuOn = V01Base + 2;   // PSCI 0.1's IDs as QEMU numbers them (V01Base: CPU_SUSPEND)
    private const long NotSupported = -1, InvalidParameters = -2, AlreadyOn = -4;
    private const long Version11 = 0x1_0001;
    private const long MigrationNotRequired = 2;   // MIGRATE_INFO_TYPE: no trusted OS

    /// <summary>
    /// Serves the call X0 = <paramref name="function"/> with arguments <paramref name="x1"/> and <paramref name="x2"/>;
    /// returns X0's new value (a 32-bit status, sign-extended).
    /// </summary>
    public static ulong Call(ulong function, ulong x1, ulong x2, out Effect effect)
    {
        effect = Effect.Return;
        long status;
        switch (function)
        {
            case Version:
                status = Version11;
                break;
            case MigrateInfoType:
                status = MigrationNotRequired;
                break;
            case AffinityInfo or AffinityInfo64:
                // Level 0 asks about the CPU x1 names (on, when it is this one); every higher level is on.
                status = x2 != 0 || x1 == 0 ? 0 : InvalidParameters;
                break;
            case CpuOn or CpuOn64 or V01CpuOn:
                // QEMU's order: an AArch64 entry point that is not word-aligned, then a CPU that does not exist, then one that is on.
                status = (x2 & 3) != 0 || x1 != 0 ? InvalidParameters : AlreadyOn;
                break;
            case CpuSuspend or CpuSuspend64 or V01Base:
                // A standby that a wake-up event ends at once (QEMU waits as WFI does); affinity levels above 0 are refused.
                status = (x1 & 0xFFFE_0000) != 0 ? InvalidParameters : 0;
                break;
            case Features:
                status = IsImplemented(x1) ? 0 : NotSupported;
                break;
            case SystemOff:
                effect = Effect.SystemOff;
                status = 0;
                break;
            case SystemReset:
                effect = Effect.SystemReset;
                status = 0;
                break;
            case CpuOff or V01CpuOff:
                effect = Effect.CpuOff;
                status = 0;
                break;
            default:   // MIGRATE among them
                status = NotSupported;
                break;
        }
        return (ulong)status;
    }

    // PSCI_FEATURES: every function above.
    private static bool IsImplemented(ulong function) => function is Version or MigrateInfoType or AffinityInfo or AffinityInfo64
        or SystemReset or SystemOff or CpuOn or CpuOn64 or V01CpuOn or CpuOff or V01CpuOff
        or CpuSuspend or CpuSuspend64 or V01Base or Features;
}
