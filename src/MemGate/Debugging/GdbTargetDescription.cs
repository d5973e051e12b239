using System.Text;
using MemGate.Emulation;
using MemGate.Native;

namespace MemGate.Debugging;

/// <summary>
/// What GDB is told about a machine's CPU: its architecture and registers, grouped in the standard features
/// GDB's architecture code recognises (<c>target.xml</c>, read with <c>qXfer:features:read</c>). The order of
/// the registers here is the order of the 'g' packet and the numbers of 'p'/'P'.
/// </summary>
internal sealed class GdbTargetDescription
{
    private GdbTargetDescription(string architecture, IReadOnlyList<GdbFeature> features)
    {
        Architecture = architecture;
        Features = features;
        Registers = features.SelectMany(f => f.Registers).ToArray();
    }

    /// <summary>GDB's name for the architecture ("arm", "riscv:rv32", "aarch64").</summary>
    public string Architecture { get; }

    /// <summary>The features, in order.</summary>
    public IReadOnlyList<GdbFeature> Features { get; }

    /// <summary>Every register, numbered as in 'p' and 'P' packets.</summary>
    public IReadOnlyList<GdbRegister> Registers { get; }

    /// <summary>The description of <paramref name="machine"/>'s CPU.</summary>
    public static GdbTargetDescription For(FirmwareMachine machine) => machine switch
    {
        CortexMMachine m => CortexM(m.HasFloatingPoint),
        RiscVMachine r => RiscV(r.Xlen, r.ReadRegister(Unicorn.RiscvRegMisa)),
        Aarch64Machine => Aarch64(),
        _ => throw new NotSupportedException($"The debugger does not describe {machine.GetType().Name} machines."),
    };

    /// <summary>The <c>target.xml</c> document.</summary>
    public string ToXml()
    {
        var xml = new StringBuilder();
        xml.Append("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n");
        xml.Append($"<architecture>{Architecture}</architecture>\n");
        foreach (var feature in Features)
        {
            xml.Append($"<feature name=\"{feature.Name}\">\n");
            xml.Append(feature.Types);
            foreach (var register in feature.Registers)
            {
                xml.Append($"<reg name=\"{register.Name}\" bitsize=\"{register.Bits}\" type=\"{register.Type}\"{(register.Group is { } group ? $" group=\"{group}\"" : "")}/>\n");
            }
            xml.Append("</feature>\n");
        }
        xml.Append("</target>\n");
        return xml.ToString();
    }

    // GDB's (and QEMU's) aarch64-fpu.xml types: a V register as its lanes of each width ($v0.d.f, $v0.s.u …), shown
    // with 'info registers vector'; a plain uint128 put them among the general registers and took no float.
    private const string Aarch64VectorTypes =
        "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n<vector id=\"v2u\" type=\"uint64\" count=\"2\"/>\n<vector id=\"v2i\" type=\"int64\" count=\"2\"/>\n" +
        "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n<vector id=\"v4u\" type=\"uint32\" count=\"4\"/>\n<vector id=\"v4i\" type=\"int32\" count=\"4\"/>\n" +
        "<vector id=\"v8f\" type=\"ieee_half\" count=\"8\"/>\n<vector id=\"v8u\" type=\"uint16\" count=\"8\"/>\n<vector id=\"v8i\" type=\"int16\" count=\"8\"/>\n" +
        "<vector id=\"v16u\" type=\"uint8\" count=\"16\"/>\n<vector id=\"v16i\" type=\"int8\" count=\"16\"/>\n" +
        "<vector id=\"v1u\" type=\"uint128\" count=\"1\"/>\n<vector id=\"v1i\" type=\"int128\" count=\"1\"/>\n" +
        "<union id=\"vnd\"><field name=\"f\" type=\"v2d\"/><field name=\"u\" type=\"v2u\"/><field name=\"s\" type=\"v2i\"/></union>\n" +
        "<union id=\"vns\"><field name=\"f\" type=\"v4f\"/><field name=\"u\" type=\"v4u\"/><field name=\"s\" type=\"v4i\"/></union>\n" +
        "<union id=\"vnh\"><field name=\"f\" type=\"v8f\"/><field name=\"u\" type=\"v8u\"/><field name=\"s\" type=\"v8i\"/></union>\n" +
        "<union id=\"vnb\"><field name=\"u\" type=\"v16u\"/><field name=\"s\" type=\"v16i\"/></union>\n" +
        "<union id=\"vnq\"><field name=\"u\" type=\"v1u\"/><field name=\"s\" type=\"v1i\"/></union>\n" +
        "<union id=\"aarch64v\"><field name=\"d\" type=\"vnd\"/><field name=\"s\" type=\"vns\"/><field name=\"h\" type=\"vnh\"/><field name=\"b\" type=\"vnb\"/><field name=\"q\" type=\"vnq\"/></union>\n";

    // ARMv7-M as QEMU describes it: the M-profile core, the system registers GDB 13+ knows, and VFP for a Cortex-M4F.
    private static GdbTargetDescription CortexM(bool floatingPoint)
    {
        var core = Enumerable.Range(0, 13).Select(i => new GdbRegister($"r{i}", 32, Unicorn.ArmRegR0 + i))
            .Append(new GdbRegister("sp", 32, Unicorn.ArmRegSp, "data_ptr"))
            .Append(new GdbRegister("lr", 32, Unicorn.ArmRegLr))
            .Append(new GdbRegister("pc", 32, Unicorn.ArmRegPc, "code_ptr"))
            .Append(new GdbRegister("xpsr", 32, Unicorn.ArmRegXpsr))
            .ToArray();
        GdbRegister[] system =
        [
            new("msp", 32, Unicorn.ArmRegMsp, "data_ptr"), new("psp", 32, Unicorn.ArmRegPsp, "data_ptr"),
            new("primask", 32, Unicorn.ArmRegPrimask), new("basepri", 32, Unicorn.ArmRegBasepri),
            new("faultmask", 32, Unicorn.ArmRegFaultmask), new("control", 32, Unicorn.ArmRegControl),
        ];
        List<GdbFeature> features = [new("org.gnu.gdb.arm.m-profile", core), new("org.gnu.gdb.arm.m-system", system)];
        if (floatingPoint)
        {
            features.Add(new GdbFeature("org.gnu.gdb.arm.vfp", Enumerable.Range(0, 16).Select(i => new GdbRegister($"d{i}", 64, Unicorn.ArmRegD0 + i, "ieee_double"))
                .Append(new GdbRegister("fpscr", 32, Unicorn.ArmRegFpscr)).ToArray()));
        }
        return new GdbTargetDescription("arm", features);
    }

    private static readonly string[] RiscVNames =
    [
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
        "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
    ];

    private static readonly string[] RiscVFloatNames =
    [
        "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7",
        "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
    ];

    // The integer registers and pc, the machine-mode CSRs the virt machine's firmware uses, and the FPU when misa says F or D.
    private static GdbTargetDescription RiscV(int xlen, ulong misa)
    {
        var core = RiscVNames.Select((name, i) => new GdbRegister(name, xlen, Unicorn.RiscvRegX0 + i, i is 2 ? "data_ptr" : "int"))
            .Append(new GdbRegister("pc", xlen, Unicorn.RiscvRegPc, "code_ptr")).ToArray();
        GdbRegister[] csrs =
        [
            new("mstatus", xlen, Unicorn.RiscvRegMstatus), new("misa", xlen, Unicorn.RiscvRegMisa), new("mie", xlen, Unicorn.RiscvRegMie),
            new("mtvec", xlen, Unicorn.RiscvRegMtvec), new("mscratch", xlen, Unicorn.RiscvRegMscratch), new("mepc", xlen, Unicorn.RiscvRegMepc),
            new("mcause", xlen, Unicorn.RiscvRegMcause), new("mtval", xlen, Unicorn.RiscvRegMtval), new("mip", xlen, Unicorn.RiscvRegMip),
            new("mhartid", xlen, Unicorn.RiscvRegMhartid),
        ];
        List<GdbFeature> features = [new("org.gnu.gdb.riscv.cpu", core), new("org.gnu.gdb.riscv.csr", csrs)];
        bool single = (misa & (1UL << ('F' - 'A'))) != 0;
        bool @double = (misa & (1UL << ('D' - 'A'))) != 0;
        if (single || @double)
        {
            int flen = @double ? 64 : 32;
            features.Add(new GdbFeature("org.gnu.gdb.riscv.fpu", RiscVFloatNames.Select((name, i) => new GdbRegister(name, flen, Unicorn.RiscvRegF0 + i, @double ? "ieee_double" : "ieee_single"))
                .Append(new GdbRegister("fflags", 32, Unicorn.RiscvRegFflags)).Append(new GdbRegister("frm", 32, Unicorn.RiscvRegFrm))
                .Append(new GdbRegister("fcsr", 32, Unicorn.RiscvRegFcsr)).ToArray()));
        }
        return new GdbTargetDescription($"riscv:rv{xlen}", features);
    }

    private static GdbTargetDescription Aarch64()
    {
        var core = Enumerable.Range(0, 31).Select(i => new GdbRegister($"x{i}", 64, i switch
            {
                29 => Unicorn.Arm64RegX29,
                30 => Unicorn.Arm64RegLr,
                _ => Unicorn.Arm64RegX0 + i,
            }))
            .Append(new GdbRegister("sp", 64, Unicorn.Arm64RegSp, "data_ptr"))
            .Append(new GdbRegister("pc", 64, Unicorn.Arm64RegPc, "code_ptr"))
            .Append(new GdbRegister("cpsr", 32, Unicorn.Arm64RegPstate)).ToArray();
        var fpu = Enumerable.Range(0, 32).Select(i => new GdbRegister($"v{i}", 128, Unicorn.Arm64RegQ0 + i, "aarch64v"))
            .Append(new GdbRegister("fpsr", 32, Unicorn.Arm64RegFpsr)).Append(new GdbRegister("fpcr", 32, Unicorn.Arm64RegFpcr)).ToArray();
        // EL1's system registers under their architectural names in QEMU's feature for them (GDB shows them with
        // 'info registers system' and as $ESR_EL1). Translation and FP access are read-only here: the machine derives state from them.
        GdbRegister[] system =
        [
            new("ELR_EL1", 64, Unicorn.Arm64RegElrEl1), new("ESR_EL1", 64, Unicorn.Arm64RegEsrEl1), new("FAR_EL1", 64, Unicorn.Arm64RegFarEl1),
            new("SPSR_EL1", 64, Unicorn.Arm64RegCpReg) { System = new(3, 0, 4, 0, 0) }, new("VBAR_EL1", 64, Unicorn.Arm64RegVbarEl1),
            new("TPIDR_EL0", 64, Unicorn.Arm64RegTpidrEl0), new("TPIDR_EL1", 64, Unicorn.Arm64RegTpidrEl1),
            new("SCTLR_EL1", 64, Unicorn.Arm64RegCpReg) { System = new(3, 0, 1, 0, 0), ReadOnly = true },
            new("CPACR_EL1", 64, Unicorn.Arm64RegCpacrEl1) { ReadOnly = true },
            new("TCR_EL1", 64, Unicorn.Arm64RegCpReg) { System = new(3, 0, 2, 0, 2), ReadOnly = true },
            new("TTBR0_EL1", 64, Unicorn.Arm64RegTtbr0El1) { ReadOnly = true }, new("TTBR1_EL1", 64, Unicorn.Arm64RegTtbr1El1) { ReadOnly = true },
            new("MAIR_EL1", 64, Unicorn.Arm64RegMairEl1) { ReadOnly = true },
        ];
        return new GdbTargetDescription("aarch64", [new("org.gnu.gdb.aarch64.core", core), new("org.gnu.gdb.aarch64.fpu", fpu, Aarch64VectorTypes), new("org.qemu.gdb.arm.sys.regs", [.. system.Select(r => r with { Group = "system" })])]);
    }
}
