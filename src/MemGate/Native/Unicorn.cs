using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>
/// The parts of Unicorn 2's C API (libunicorn.so.2; found and version-checked by <see cref="UnicornLibrary"/>)
/// MemGate uses. Constants are the values of unicorn.h 2.1.4 (the same as 2.0.1's for every one used here). <c>uc_ctl</c> and <c>uc_hook_add</c> are variadic in C; on x86-64
/// System V, integer arguments of a variadic call travel exactly like fixed ones, so fixed prototypes
/// with the needed extra arguments are used.
/// </summary>
internal static unsafe partial class Unicorn
{
    private const string Library = UnicornLibrary.Name;

    // An explicit static constructor runs before the first import is called: imports go to the checked library.
    static Unicorn() => UnicornLibrary.Register(typeof(Unicorn).Assembly);

    public const int ArchArm = 1;
    public const int ArchArm64 = 2;
    public const int ArchRiscv = 8;
    public const int ModeThumb = 1 << 4;
    public const int ModeArm = 0;
    public const int ModeRiscv32 = 1 << 2;
    public const int ModeRiscv64 = 1 << 3;

    public const int CpuArmCortexM3 = 8;
    public const int CpuArmCortexM4 = 9;

    public const int ArmRegApsrNzcv = 2;
    public const int ArmRegLr = 10;
    public const int ArmRegPc = 11;
    public const int ArmRegSp = 12;
    public const int ArmRegR0 = 66;
    public const int ArmRegR1 = 67;
    public const int ArmRegR2 = 68;
    public const int ArmRegR3 = 69;
    public const int ArmRegR4 = 70;
    public const int ArmRegR5 = 71;
    public const int ArmRegR12 = 78;
    public const int ArmRegIpsr = 114;
    public const int ArmRegPrimask = 123;
    public const int ArmRegMsp = 115;
    public const int ArmRegXpsr = 120;
    public const int ArmRegEpsr = 121;
    public const int ArmRegControl = 117;
    public const int ArmRegPsp = 116;
    public const int ArmRegBasepri = 124;
    public const int ArmRegFaultmask = 126;
    public const int ArmRegXpsrNzcvqg = 138;   // xPSR with the GE bits (the DSP extension's)
    public const int ArmRegFpexc = 4;
    public const int ArmRegFpscr = 6;
    public const int ArmRegS0 = 79;   // S0-S31 follow in order
    public const int ArmRegD0 = 14;   // D0-D31 follow in order

    public const int Arm64RegX29 = 1;
    public const int Arm64RegLr = 2;
    public const int Arm64RegSp = 4;
    public const int Arm64RegX0 = 199;
    public const int Arm64RegX1 = 200;
    public const int Arm64RegX2 = 201;
    public const int Arm64RegPc = 260;
    public const int Arm64RegPstate = 265;
    public const int Arm64RegQ0 = 104;   // Q0-Q31 follow in order (128-bit)
    public const int Arm64RegFpcr = 291;
    public const int Arm64RegFpsr = 292;
    public const int Arm64RegCpacrEl1 = 261;
    public const int Arm64RegElrEl1 = 267;
    public const int Arm64RegSpEl0 = 270;
    public const int Arm64RegSpEl1 = 271;
    public const int Arm64RegEsrEl1 = 277;
    public const int Arm64RegFarEl1 = 281;
    public const int Arm64RegVbarEl1 = 287;
    public const int Arm64RegTpidrEl0 = 262;
    public const int Arm64RegTpidrroEl0 = 263;
    public const int Arm64RegTpidrEl1 = 264;
    public const int Arm64RegTtbr0El1 = 274;
    public const int Arm64RegTtbr1El1 = 275;
    public const int Arm64RegParEl1 = 284;
    public const int Arm64RegMairEl1 = 285;
    public const int Arm64RegXzr = 7;
    public const int Arm64RegCpReg = 290;   // a system register by encoding (uc_arm64_cp_reg), Unicorn 2.1
    public const int Arm64InsMrs = 1;
    public const int Arm64InsMsr = 2;
    public const int CpuArm64A53 = 1;

    public const int RiscvRegX0 = 1;
    public const int RiscvRegSp = 3;
    public const int RiscvRegA0 = 11;
    public const int RiscvRegMstatus = 116;
    public const int RiscvRegMcounteren = 122;
    public const int RiscvRegUstatus = 33;        // the first CSR of Unicorn's list
    public const int RiscvRegLastCsr = 157;       // UC_RISCV_REG_HTIMEDELTAH, the last (F0 follows)
    public const int RiscvRegMie = 120;
    public const int RiscvRegMtvec = 121;
    public const int RiscvRegMepc = 128;
    public const int RiscvRegMcause = 129;
    public const int RiscvRegMtval = 130;
    public const int RiscvRegMip = 131;
    public const int RiscvRegPc = 190;
    public const int RiscvRegF0 = 158;   // F0-F31 follow in order
    public const int RiscvRegFflags = 41;
    public const int RiscvRegFrm = 42;
    public const int RiscvRegFcsr = 43;
    public const int RiscvRegMhartid = 115;
    public const int RiscvRegMisa = 117;
    public const int RiscvRegMscratch = 127;
    public const int RiscvRegMedeleg = 118;
    public const int RiscvRegMideleg = 119;
    public const int RiscvRegSatp = 146;
    public const int RiscvRegPriv = 191;

    public const int QueryPageSize = 2;

    public const uint ProtRead = 1;
    public const uint ProtWrite = 2;
    public const uint ProtExec = 4;

    public const int HookIntr = 1;
    public const int HookInsn = 2;
    public const int HookCode = 4;
    public const int HookBlock = 8;
    public const int HookMemInvalid = 1008;   // UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT
    public const int HookMemReadProt = 128;
    public const int HookMemWriteProt = 256;
    public const int HookMemRead = 1024;
    public const int HookMemWrite = 2048;
    public const int HookTlbFill = 1 << 17;

    public const int MemReadAccess = 16;
    public const int MemWriteAccess = 17;
    public const int MemFetchAccess = 18;
    public const int MemReadUnmapped = 19;
    public const int MemWriteUnmapped = 20;
    public const int MemFetchUnmapped = 21;
    public const int MemWriteProt = 22;
    public const int MemReadProt = 23;
    public const int MemFetchProt = 24;

    public const int CtlWriteCpuModel = 0x44000007;     // UC_CTL_WRITE(UC_CTL_CPU_MODEL, 1)
    public const int CtlWriteTbRemoveCache = 0x48000009; // UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2)
    public const int CtlWriteTbFlush = 0x4000000A;       // UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0)
    public const int CtlWriteTlbFlush = 0x4000000B;      // UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0)
    public const int CtlWriteTlbType = 0x4400000C;       // UC_CTL_WRITE(UC_CTL_TLB_TYPE, 1)
    public const int TlbCpu = 0;                         // UC_TLB_CPU: the CPU's own MMU fills the TLB
    public const int TlbVirtual = 1;                     // UC_TLB_VIRTUAL: UC_HOOK_TLB_FILL hooks fill it

    [LibraryImport(Library, EntryPoint = "uc_open")]
    public static partial int Open(int arch, int mode, out nint engine);

    [LibraryImport(Library, EntryPoint = "uc_close")]
    public static partial int Close(nint engine);

    [LibraryImport(Library, EntryPoint = "uc_ctl")]
    public static partial int Control(nint engine, int control, long argument);

    [LibraryImport(Library, EntryPoint = "uc_ctl")]
    public static partial int Control(nint engine, int control, ulong first, ulong second);

    [LibraryImport(Library, EntryPoint = "uc_strerror")]
    public static partial nint StrError(int error);

    [LibraryImport(Library, EntryPoint = "uc_mem_map_ptr")]
    public static partial int MemMapPtr(nint engine, ulong address, nuint size, uint perms, nint pointer);

    [LibraryImport(Library, EntryPoint = "uc_mem_protect")]
    public static partial int MemProtect(nint engine, ulong address, nuint size, uint perms);

    [LibraryImport(Library, EntryPoint = "uc_mem_map")]
    public static partial int MemMap(nint engine, ulong address, nuint size, uint perms);

    [LibraryImport(Library, EntryPoint = "uc_mem_write")]
    public static partial int MemWrite(nint engine, ulong address, void* bytes, nuint size);

    [LibraryImport(Library, EntryPoint = "uc_mmio_map")]
    public static partial int MmioMap(nint engine, ulong address, nuint size,
        delegate* unmanaged<nint, ulong, uint, nint, ulong> read, nint readUserData,
        delegate* unmanaged<nint, ulong, uint, ulong, nint, void> write, nint writeUserData);

    [LibraryImport(Library, EntryPoint = "uc_hook_add")]
    public static partial int HookAdd(nint engine, out nint hook, int type, void* callback, nint userData, ulong begin, ulong end);

    // uc_hook_add is variadic; an instruction hook passes the instruction id after `end` (on x86-64 SysV
    // a variadic integer goes where a fixed one would).
    [LibraryImport(Library, EntryPoint = "uc_hook_add")]
    public static partial int HookAddInstruction(nint engine, out nint hook, int type, void* callback, nint userData, ulong begin, ulong end, int instruction);

    [LibraryImport(Library, EntryPoint = "uc_hook_del")]
    public static partial int HookDel(nint engine, nint hook);

    [LibraryImport(Library, EntryPoint = "uc_emu_start")]
    public static partial int EmuStart(nint engine, ulong begin, ulong until, ulong timeout, nuint count);

    [LibraryImport(Library, EntryPoint = "uc_emu_stop")]
    public static partial int EmuStop(nint engine);

    [LibraryImport(Library, EntryPoint = "uc_reg_read")]
    public static partial int RegRead(nint engine, int register, out ulong value);

    [LibraryImport(Library, EntryPoint = "uc_reg_write")]
    public static partial int RegWrite(nint engine, int register, in ulong value);

    [LibraryImport(Library, EntryPoint = "uc_reg_read")]
    public static partial int RegRead(nint engine, int register, ref Arm64SystemRegister value);

    [LibraryImport(Library, EntryPoint = "uc_reg_read")]
    public static partial int RegRead(nint engine, int register, byte* value);

    [LibraryImport(Library, EntryPoint = "uc_reg_write")]
    public static partial int RegWrite(nint engine, int register, byte* value);

    [LibraryImport(Library, EntryPoint = "uc_reg_write")]
    public static partial int RegWrite(nint engine, int register, in Arm64SystemRegister value);

    [LibraryImport(Library, EntryPoint = "uc_mem_read")]
    public static partial int MemRead(nint engine, ulong address, void* bytes, nuint size);

    /// <summary>Unicorn's text for an error code.</summary>
    [LibraryImport(Library, EntryPoint = "uc_context_alloc")]
    public static partial int ContextAlloc(nint engine, out nint context);

    [LibraryImport(Library, EntryPoint = "uc_context_save")]
    public static partial int ContextSave(nint engine, nint context);

    [LibraryImport(Library, EntryPoint = "uc_context_restore")]
    public static partial int ContextRestore(nint engine, nint context);

    [LibraryImport(Library, EntryPoint = "uc_context_free")]
    public static partial int ContextFree(nint context);

    [LibraryImport(Library, EntryPoint = "uc_query")]
    public static partial int Query(nint engine, int type, out nuint result);

    public static string Describe(int error) => Marshal.PtrToStringUTF8(StrError(error)) ?? $"error {error}";

    /// <summary>Throws <see cref="NotSupportedException"/> naming what was found and what is needed, unless the engine can be used.</summary>
    public static void Require()
    {
        if (UnicornLibrary.Problem is { } problem)
        {
            throw new NotSupportedException(problem + " Firmware cannot run without it.");
        }
    }
}
