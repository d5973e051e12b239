using System.Runtime.InteropServices;

namespace MemGate.Native;

/// <summary>Unicorn's <c>uc_arm64_cp_reg</c>: an AArch64 system register by its encoding, and its value.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Arm64SystemRegister
{
    public uint Crn;
    public uint Crm;
    public uint Op0;
    public uint Op1;
    public uint Op2;
    public ulong Value;

    public Arm64SystemRegister(uint op0, uint op1, uint crn, uint crm, uint op2, ulong value = 0) =>
        (Op0, Op1, Crn, Crm, Op2, Value) = (op0, op1, crn, crm, op2, value);
}
