using MemGate.Mmio;

namespace MemGate.Emulation;

/// <summary>
/// The 16550A UART of QEMU's RISC-V <c>virt</c> board (byte registers at 0x10000000) as far as a
/// transmitting driver needs: THR writes appear on the output at once, LSR always shows THRE and TEMT,
/// IIR shows no interrupt pending, and with DLAB set offsets 0 and 1 are the divisor latch instead.
/// </summary>
public static class Ns16550Uart
{
    private const ulong Dlab = 0x80;

    /// <summary>The UART's register block at <paramref name="baseAddress"/>, transmitting to <paramref name="output"/>.</summary>
    public static RegisterBlock Create(string name, ulong baseAddress, TextWriter output)
    {
        RegisterBlock? block = null;
        ulong divisor = 0;
        bool Latch() => (block!.Peek("LCR") & Dlab) != 0;
        block = new RegisterBlock(name, 0x100,
        [
            new RegisterDefinition("RBR_THR", 0, 8)
            {
                OnWrite = (_, v) =>
                {
                    if (Latch()) { divisor = (divisor & 0xFF00) | (v & 0xFF); }
                    else { output.Write((char)(v & 0xFF)); }
                },
                OnRead = _ => Latch() ? divisor & 0xFF : 0,   // nothing is ever received
            },
            new RegisterDefinition("IER", 1, 8)
            {
                OnWrite = (_, v) => { if (Latch()) { divisor = (divisor & 0xFF) | ((v & 0xFF) << 8); } },
                OnRead = value => Latch() ? divisor >> 8 : value,
            },
            new RegisterDefinition("IIR_FCR", 2, 8) { OnRead = _ => 0x01 },   // no interrupt pending
            new RegisterDefinition("LCR", 3, 8),
            new RegisterDefinition("MCR", 4, 8),
            new RegisterDefinition("LSR", 5, 8) { Access = FieldAccess.ReadOnly, ResetValue = 0x60 },   // THRE | TEMT
            new RegisterDefinition("MSR", 6, 8) { Access = FieldAccess.ReadOnly },
            new RegisterDefinition("SCR", 7, 8),
        ], baseAddress: baseAddress);
        return block;
    }
}
