using MemGate.Mmio;

namespace MemGate.Emulation;

/// <summary>
/// The Arm PL011 UART (PrimeCell UART TRM, DDI 0183) of QEMU's Arm <c>virt</c> board at 0x09000000, as
/// far as a transmitting driver needs: DR writes appear on the output at once, FR shows the transmit
/// FIFO empty and never full, and the identification registers read as a PL011's.
/// </summary>
public static class Pl011Uart
{
    /// <summary>The UART's register block at <paramref name="baseAddress"/>, transmitting to <paramref name="output"/>.</summary>
    public static RegisterBlock Create(string name, ulong baseAddress, TextWriter output)
    {
        var registers = new List<RegisterDefinition>
        {
            new("DR", 0x000, 32) { OnWrite = (_, v) => output.Write((char)(v & 0xFF)), OnRead = _ => 0 },
            new("RSR_ECR", 0x004, 32),
            new("FR", 0x018, 32) { Access = FieldAccess.ReadOnly, ResetValue = 0x90 },   // TXFE | RXFE
            new("ILPR", 0x020, 32),
            new("IBRD", 0x024, 32),
            new("FBRD", 0x028, 32),
            new("LCR_H", 0x02C, 32),
            new("CR", 0x030, 32) { ResetValue = 0x300 },   // TXE | RXE
            new("IFLS", 0x034, 32) { ResetValue = 0x12 },
            new("IMSC", 0x038, 32),
            new("RIS", 0x03C, 32) { Access = FieldAccess.ReadOnly },
            new("MIS", 0x040, 32) { Access = FieldAccess.ReadOnly },
            new("ICR", 0x044, 32) { Access = FieldAccess.WriteOnly },
            new("DMACR", 0x048, 32),
        };
        ReadOnlySpan<byte> ids = [0x11, 0x10, 0x14, 0x00, 0x0D, 0xF0, 0x05, 0xB1];   // PeriphID0–3, PCellID0–3
        for (int i = 0; i < ids.Length; i++)
        {
            registers.Add(new($"ID{i}", 0xFE0 + 4 * (ulong)i, 32) { Access = FieldAccess.ReadOnly, ResetValue = ids[i] });
        }
        return new RegisterBlock(name, 0x1000, registers, baseAddress: baseAddress);
    }
}
