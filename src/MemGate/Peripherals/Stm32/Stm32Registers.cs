using MemGate.Mmio;

namespace MemGate.Peripherals.Stm32;

/// <summary>Shorthands the STM32 models declare their registers with, so each model reads like its reference-manual table.</summary>
internal static class Stm32Registers
{
    /// <summary>The <c>family</c> setting every STM32 model takes.</summary>
    public static readonly PeripheralParameter FamilyParameter = new("family", "register layout: f1 (RM0008), f4 (RM0090 F405/407) or f429 (RM0090 F42x/43x); default f4");

    public static Stm32Family Family(PeripheralSettings settings) => settings.Choice("family", "f4", "f1", "f4", "f429") switch
    {
        "f1" => Stm32Family.F1,
        "f429" => Stm32Family.F429,
        _ => Stm32Family.F4,
    };

    public static RegisterField Rw(string name, int bit, int width = 1) => new(name, bit, width);

    public static RegisterField Ro(string name, int bit, int width = 1) => new(name, bit, width) { Access = FieldAccess.ReadOnly };

    public static RegisterField Wo(string name, int bit, int width = 1) => new(name, bit, width) { Access = FieldAccess.WriteOnly };

    /// <summary>A status flag software clears by writing 1 (rc_w1).</summary>
    public static RegisterField W1c(string name, int bit, int width = 1) => new(name, bit, width) { WriteAction = WriteAction.OneToClear };

    /// <summary>A status flag software clears by writing 0 (rc_w0).</summary>
    public static RegisterField W0c(string name, int bit, int width = 1) => new(name, bit, width) { WriteAction = WriteAction.ZeroToClear };

    /// <summary>A 32-bit register.</summary>
    public static RegisterDefinition Reg(string name, ulong offset, ulong reset = 0, params RegisterField[] fields) =>
        new(name, offset, 32) { ResetValue = reset, Fields = fields };

    /// <summary>
    /// <paramref name="value"/> with each ready bit showing whether its enable bit is set: the oscillators and
    /// PLLs lock the moment they are switched on, so start-up code polling a ready flag moves on.
    /// </summary>
    public static ulong Follow(ulong value, params (int Enable, int Ready)[] pairs)
    {
        foreach (var (enable, ready) in pairs)
        {
            value = (value & ~(1UL << ready)) | (((value >> enable) & 1) << ready);
        }
        return value;
    }

    /// <summary>A block whose reserved offsets read as zero and ignore writes, as on the part.</summary>
    public static RegisterBlock Block(string name, ulong baseAddress, IEnumerable<RegisterDefinition> registers, Action<string>? log) =>
        new(name, 0x400, registers, policy: UnmodelledAccessPolicy.ReadZeroWriteIgnore, baseAddress: baseAddress, log: log);
}
