using MemGate.Mmio;
using static MemGate.Peripherals.Stm32.Stm32Registers;

namespace MemGate.Peripherals.Stm32;

/// <summary>
/// The STM32 embedded-flash interface (RM0008 section 3.3.3 and the PM0075 flash programming manual for F1,
/// RM0090 section 3.9 for F4; names as ST's SVD files). ACR keeps the wait states start-up code sets (F1:
/// PRFTBS follows PRFTBE); CR is locked at reset and the KEYR sequence KEY1, KEY2 unlocks it (a wrong key
/// locks it until reset), OPTKEYR likewise unlocks the option bytes. Operations finish at once: STRT and
/// OPTSTRT clear themselves, BSY never shows, and flash itself is not written.
/// </summary>
public sealed class Stm32FlashInterface : Peripheral
{
    /// <summary>The registry's entry: model "stm32-flash".</summary>
    public static PeripheralModelInfo Info { get; } = new("stm32-flash",
        "STM32 flash interface: ACR wait states, KEYR/OPTKEYR unlock sequences, LOCK, status (RM0008 3.3.3/PM0075, RM0090 3.9)", 0x400,
        (settings, context) => new Stm32FlashInterface(settings.Name, settings.Base, Family(settings), context.Log))
    {
        Parameters = [FamilyParameter],
    };

    /// <summary>First word of the unlock sequence (KEY1).</summary>
    public const uint Key1 = 0x4567_0123;

    /// <summary>Second word of the unlock sequence (KEY2).</summary>
    public const uint Key2 = 0xCDEF_89AB;

    /// <summary>First word of the F4 option-byte unlock sequence (OPTKEY1); F1 uses <see cref="Key1"/>.</summary>
    public const uint OptionKey1 = 0x0819_2A3B;

    /// <summary>Second word of the F4 option-byte unlock sequence (OPTKEY2); F1 uses <see cref="Key2"/>.</summary>
    public const uint OptionKey2 = 0x4C5D_6E7F;

    private readonly PeripheralBlock[] _blocks;
    private readonly ulong _lock;          // CR.LOCK
    private readonly ulong _start;         // CR.STRT
    private readonly ulong _endInterrupt;  // CR.EOPIE
    private readonly ulong _endFlag;       // SR.EOP
    private KeySequence _key;
    private KeySequence _optionKey;

    /// <summary>A flash interface of <paramref name="family"/> at <paramref name="baseAddress"/>.</summary>
    public Stm32FlashInterface(string name, ulong baseAddress, Stm32Family family, Action<string>? log = null) : base(name)
    {
        Family = family;
        bool f1 = family == Stm32Family.F1;
        (_lock, _start, _endInterrupt, _endFlag) = f1 ? (1UL << 7, 1UL << 6, 1UL << 12, 1UL << 5) : (1UL << 31, 1UL << 16, 1UL << 24, 1UL);
        Block = Stm32Registers.Block(name, baseAddress, f1 ? F1() : F4(family == Stm32Family.F429), log);
        _blocks = [new PeripheralBlock(name, baseAddress, 0x400, Block)];
    }

    /// <summary>The register layout it follows.</summary>
    public Stm32Family Family { get; }

    /// <summary>The flash interface's registers.</summary>
    public RegisterBlock Block { get; }

    /// <summary>Whether CR is locked (LOCK set).</summary>
    public bool Locked => (Block.Peek("CR") & _lock) != 0;

    /// <inheritdoc/>
    public override IReadOnlyList<PeripheralBlock> Blocks => _blocks;

    /// <inheritdoc/>
    public override void Reset()
    {
        base.Reset();
        (_key, _optionKey) = (KeySequence.Idle, KeySequence.Idle);
    }

    /// <inheritdoc/>
    public override void SaveState(StateWriter writer)
    {
        base.SaveState(writer);
        writer.Write((int)_key);
        writer.Write((int)_optionKey);
    }

    /// <inheritdoc/>
    public override void RestoreState(StateReader reader)
    {
        base.RestoreState(reader);
        (_key, _optionKey) = ((KeySequence)reader.ReadInt32(), (KeySequence)reader.ReadInt32());
    }

    private RegisterDefinition[] F1() =>
    [
        Reg("ACR", 0x00, 0x0000_0030, Rw("LATENCY", 0, 3), Rw("HLFCYA", 3), Rw("PRFTBE", 4), Ro("PRFTBS", 5)) with { OnRead = v => Follow(v, (4, 5)) },
        Reg("KEYR", 0x04, 0, Wo("KEY", 0, 32)) with { OnWrite = (_, v) => Unlock(ref _key, v, Key1, Key2, () => Modify("CR", _lock, 0)) },
        Reg("OPTKEYR", 0x08, 0, Wo("OPTKEY", 0, 32)) with { OnWrite = (_, v) => Unlock(ref _optionKey, v, Key1, Key2, () => Modify("CR", 0, 1UL << 9)) },
        Reg("SR", 0x0C, 0, Ro("BSY", 0), W1c("PGERR", 2), W1c("WRPRTERR", 4), W1c("EOP", 5)),
        Reg("CR", 0x10, 0x0000_0080,
            Rw("PG", 0), Rw("PER", 1), Rw("MER", 2), Rw("OPTPG", 4), Rw("OPTER", 5), Rw("STRT", 6), Set("LOCK", 7), W0c("OPTWRE", 9), Rw("ERRIE", 10), Rw("EOPIE", 12))
            with { OnWrite = Control },
        Reg("AR", 0x14, 0, Wo("FAR", 0, 32)),
        Reg("OBR", 0x1C, 0x03FF_FFFC,
            Ro("OPTERR", 0), Ro("RDPRT", 1), Ro("WDG_SW", 2), Ro("nRST_STOP", 3), Ro("nRST_STDBY", 4), Ro("Data0", 10, 8), Ro("Data1", 18, 8)),
        Reg("WRPR", 0x20, 0xFFFF_FFFF, Ro("WRP", 0, 32)),
    ];

    private RegisterDefinition[] F4(bool f429)
    {
        var registers = new List<RegisterDefinition>
        {
            Reg("ACR", 0x00, 0, Rw("LATENCY", 0, 3), Rw("PRFTEN", 8), Rw("ICEN", 9), Rw("DCEN", 10), Wo("ICRST", 11), Rw("DCRST", 12)),
            Reg("KEYR", 0x04, 0, Wo("KEY", 0, 32)) with { OnWrite = (_, v) => Unlock(ref _key, v, Key1, Key2, () => Modify("CR", _lock, 0)) },
            Reg("OPTKEYR", 0x08, 0, Wo("OPTKEY", 0, 32)) with { OnWrite = (_, v) => Unlock(ref _optionKey, v, OptionKey1, OptionKey2, () => Modify("OPTCR", 1, 0)) },
            Reg("SR", 0x0C, 0, W1c("EOP", 0), W1c("OPERR", 1), W1c("WRPERR", 4), W1c("PGAERR", 5), W1c("PGPERR", 6), W1c("PGSERR", 7), Ro("BSY", 16)),
            Reg("CR", 0x10, 0x8000_0000, f429
                ? [Rw("PG", 0), Rw("SER", 1), Rw("MER", 2), Rw("SNB", 3, 5), Rw("PSIZE", 8, 2), Rw("MER1", 15), Rw("STRT", 16), Rw("EOPIE", 24), Rw("ERRIE", 25), Set("LOCK", 31)]
                : [Rw("PG", 0), Rw("SER", 1), Rw("MER", 2), Rw("SNB", 3, 4), Rw("PSIZE", 8, 2), Rw("STRT", 16), Rw("EOPIE", 24), Rw("ERRIE", 25), Set("LOCK", 31)])
                with { OnWrite = Control },
            // The option bytes as shipped (RM0090 3.9.10); ST's F407 SVD gives 0x14 instead.
            Reg("OPTCR", 0x14, 0x0FFF_AAED,
                Set("OPTLOCK", 0), Rw("OPTSTRT", 1), Rw("BOR_LEV", 2, 2), Rw("WDG_SW", 5), Rw("nRST_STOP", 6), Rw("nRST_STDBY", 7), Rw("RDP", 8, 8), Rw("nWRP", 16, 12))
                with { OnWrite = OptionControl },
        };
        if (f429)
        {
            registers.Add(Reg("OPTCR1", 0x18, 0x0FFF_0000, Rw("nWRP", 16, 12)) with { OnWrite = (old, _) => KeepIfLocked("OPTCR1", old) });
        }
        return [.. registers];
    }

    // LOCK and OPTLOCK: software can set them, only a key sequence clears them.
    private static RegisterField Set(string name, int bit) => new(name, bit, 1) { WriteAction = WriteAction.OneToSet };

    // A locked CR ignores writes; STRT finishes the operation at once (EOP when EOPIE asks for it).
    private void Control(ulong old, ulong now)
    {
        if ((old & _lock) != 0)
        {
            Block.Poke("CR", old | (now & _lock));
            return;
        }
        if ((now & _start) != 0)
        {
            Block.Poke("CR", now & ~_start);
            if ((now & _endInterrupt) != 0 || Family == Stm32Family.F1)
            {
                Modify("SR", 0, _endFlag);   // F1 always reports EOP (PM0075 2.3.3); F4 only with EOPIE
            }
        }
    }

    private void OptionControl(ulong old, ulong now)
    {
        if ((old & 1) != 0)
        {
            Block.Poke("OPTCR", old | (now & 1));
            return;
        }
        Block.Poke("OPTCR", now & ~2UL);   // OPTSTRT: done at once
    }

    private void KeepIfLocked(string register, ulong old)
    {
        if ((Block.Peek("OPTCR") & 1) != 0)
        {
            Block.Poke(register, old);
        }
    }

    private void Modify(string register, ulong clear, ulong set) => Block.Poke(register, (Block.Peek(register) & ~clear) | set);

    // KEY1 then KEY2 unlocks; any other word, or a key out of order, locks out until reset (RM0090 3.5.1).
    private static void Unlock(ref KeySequence state, ulong value, uint first, uint second, Action unlock)
    {
        state = (state, value) switch
        {
            (KeySequence.LockedOut, _) => KeySequence.LockedOut,
            (KeySequence.Idle, _) when value == first => KeySequence.FirstKey,
            (KeySequence.FirstKey, _) when value == second => KeySequence.Idle,
            _ => KeySequence.LockedOut,
        };
        if (state == KeySequence.Idle)
        {
            unlock();
        }
    }

    private enum KeySequence
    {
        Idle,
        FirstKey,
        LockedOut,
    }
}
