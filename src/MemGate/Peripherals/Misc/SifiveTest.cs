using MemGate.Mmio;

namespace MemGate.Peripherals.Misc;

/// <summary>
/// The SiFive test device (QEMU's <c>sifive_test</c>, at 0x00100000 on RISC-V <c>virt</c>): a write to
/// FINISHER ends the run: 0x5555 passes (exit 0), 0x3333 fails with the exit code in the upper 16 bits,
/// 0x7777 asks for a reset (ends the run as a pass).
/// </summary>
public sealed class SifiveTest : Peripheral
{
    /// <summary>The registry's entry: model "sifive-test".</summary>
    public static PeripheralModelInfo Info { get; } = new("sifive-test",
        "SiFive test finisher (QEMU sifive_test): FINISHER writes end the run with pass (0x5555) or fail (0x3333 | code << 16)", 0x4,
        (settings, context) => new SifiveTest(settings.Name, settings.Base, Math.Max(settings.Entry.Size, 4), context));

    private readonly PeripheralBlock[] _blocks;

    private SifiveTest(string name, ulong baseAddress, ulong size, PeripheralContext context) : base(name)
    {
        var block = new RegisterBlock(name, size,
        [
            new RegisterDefinition("FINISHER", 0, 32) { OnWrite = (_, v) => Finish(context, v) },
        ], baseAddress: baseAddress, policy: UnmodelledAccessPolicy.ReadZeroWriteIgnore);
        _blocks = [new PeripheralBlock(name, baseAddress, size, block)];
    }

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    private static void Finish(PeripheralContext context, ulong value)
    {
        switch (value & 0xFFFF)
        {
            case 0x5555 or 0x7777: context.Exit?.Invoke(0); break;
            case 0x3333: context.Exit?.Invoke((int)(value >> 16)); break;
        }
    }
}
