using MemGate.Mmio;

namespace MemGate.Peripherals;

/// <summary>The identification registers every Arm PrimeCell has at 0xFE0-0xFFC (PeriphID0-3, PCellID0-3 = 0x0D, 0xF0, 0x05, 0xB1).</summary>
internal static class PrimeCell
{
    /// <summary>PeriphID0-3 as given, then the PrimeCell ID, as read-only registers.</summary>
    public static IEnumerable<RegisterDefinition> IdRegisters(byte part0, byte part1, byte designer, byte revision)
    {
        byte[] ids = [part0, part1, designer, revision, 0x0D, 0xF0, 0x05, 0xB1];
        for (int i = 0; i < ids.Length; i++)
        {
            yield return new RegisterDefinition($"{(i < 4 ? "PeriphID" : "PCellID")}{i % 4}", 0xFE0 + 4 * (ulong)i, 32) { Access = FieldAccess.ReadOnly, ResetValue = ids[i] };
        }
    }
}
